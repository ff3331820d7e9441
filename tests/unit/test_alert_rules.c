/* test_alert_rules.c — the engine-neutral alert rules (server/alert_rules.h) without a ledger:
 * the alert each scan, claim and alert job shows with its values, and each branch of
 * alert_decide (new, counted, reopened, kept closed as confirmed counterfeit on the same Vietnam
 * day, not on the UTC day). */
#include "tests/unit/testutil.h"

#include "server/alert_rules.h"

#define KEY "3F9A0C21D4E5B6A7"
/* 2026-11-26 16:59:00 UTC is 23:59 in Vietnam (UTC+7); two minutes on is the next Vietnam day
 * but the same UTC day */
#define VN_LATE    1795712340000LL
#define VN_MORNING (VN_LATE + 120000LL)
#define DAY_MS     86400000LL

static struct ledger_scan scan_of(enum verdict base, enum verdict final)
{
	struct ledger_scan s = {
	    .key_id = KEY,
	    .serial = 42,
	    .at_ms = VN_LATE,
	    .facts = {.base = base},
	    .verdict = final,
	    .scans = 9,
	    .clients = 4,
	    .first_scan_ms = VN_LATE - DAY_MS,
	};
	return s;
}

static void test_rules_scan_duplicate_is_a_total_of_its_scans(void **state)
{
	struct ledger_scan s = scan_of(V_GENUINE, V_DUPLICATE);
	struct alert_event e;

	(void)state;
	assert_int_equal(alert_scan_event(&s, 7, &e), 1);
	assert_int_equal(e.type, ALERT_DUPLICATE);
	assert_ptr_equal(e.key_id, s.key_id);
	assert_int_equal(e.serial, 42);
	assert_int_equal(e.batch, 7);
	assert_int_equal(e.events, 9);
	assert_int_equal(e.absolute, 1);
	assert_int_equal(e.clients, 4);
	assert_int_equal(e.first_ms, VN_LATE - DAY_MS);
	assert_int_equal(e.at_ms, VN_LATE);
}

static void test_rules_scan_one_event_types(void **state)
{
	static const struct {
		enum verdict base, final;
		enum alert_type type;
	} cases[] = {
	    {V_GENUINE, V_SOLD, ALERT_SOLD_SCANNED},
	    /* the final verdict first: a sold code's base is genuine anyway, but the order is the
	     * rule's */
	    {V_UNREGISTERED, V_SOLD, ALERT_SOLD_SCANNED},
	    {V_UNREGISTERED, V_UNREGISTERED, ALERT_UNREGISTERED},
	    {V_REVOKED, V_REVOKED, ALERT_REVOKED_KEY},
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ledger_scan s = scan_of(cases[i].base, cases[i].final);
		struct alert_event e;
		assert_int_equal(alert_scan_event(&s, 0, &e), 1);
		assert_int_equal(e.type, cases[i].type);
		assert_int_equal(e.events, 1);
		assert_int_equal(e.absolute, 0);
		assert_int_equal(e.clients, 4);
		assert_int_equal(e.first_ms, VN_LATE);
		assert_int_equal(e.at_ms, VN_LATE);
		assert_int_equal(e.batch, 0);
	}
}

static void test_rules_scan_without_alert(void **state)
{
	static const enum verdict quiet[] = {V_GENUINE, V_SEEN, V_EXPIRED};
	struct alert_event e;

	(void)state;
	for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++) {
		struct ledger_scan s = scan_of(quiet[i], quiet[i]);
		assert_int_equal(alert_scan_event(&s, 7, &e), 0);
	}
}

static void test_rules_guess_counts_the_day_limit(void **state)
{
	struct ledger_claim c = {.key_id = KEY, .serial = 5, .at_ms = VN_LATE, .code_limit = 10};
	struct alert_event e;

	(void)state;
	alert_guess_event(&c, 3, &e);
	assert_int_equal(e.type, ALERT_CLAIM_GUESSING);
	assert_string_equal(e.key_id, KEY);
	assert_int_equal(e.serial, 5);
	assert_int_equal(e.batch, 3);
	assert_int_equal(e.events, 10);
	assert_int_equal(e.absolute, 0);
	assert_int_equal(e.clients, 0);
	assert_int_equal(e.first_ms, VN_LATE);
	assert_int_equal(e.at_ms, VN_LATE);
}

static void test_rules_job_first_is_at_most_its_latest(void **state)
{
	struct ledger_alert a = {
	    .type = ALERT_INVALID_BURST, .key_id = KEY, .events = 20, .at_ms = VN_LATE};
	struct alert_event e;

	(void)state;
	a.first_ms = VN_LATE - 5000;
	alert_job_event(&a, 0, &e);
	assert_int_equal(e.type, ALERT_INVALID_BURST);
	assert_int_equal(e.serial, 0);
	assert_int_equal(e.events, 20);
	assert_int_equal(e.first_ms, VN_LATE - 5000);
	assert_int_equal(e.at_ms, VN_LATE);
	a.first_ms = 0; /* not set */
	alert_job_event(&a, 0, &e);
	assert_int_equal(e.first_ms, VN_LATE);
	a.first_ms = VN_LATE + 1; /* after the latest */
	alert_job_event(&a, 0, &e);
	assert_int_equal(e.first_ms, VN_LATE);
}

static struct alert_event event_at(int64_t at_ms, int64_t batch)
{
	struct alert_event e = {
	    .type = ALERT_SOLD_SCANNED,
	    .key_id = KEY,
	    .serial = 42,
	    .batch = batch,
	    .events = 3,
	    .absolute = 1,
	    .clients = 2,
	    .first_ms = at_ms - 1000,
	    .at_ms = at_ms,
	};
	return e;
}

/* The values every action carries over from the event, and no alert_changes row unless
 * reopening. */
static void assert_values(const struct alert_write *w, const struct alert_event *e)
{
	assert_int_equal(w->events, e->events);
	assert_int_equal(w->absolute, e->absolute);
	assert_int_equal(w->clients, e->clients);
	assert_int_equal(w->first_ms, e->first_ms);
	assert_int_equal(w->at_ms, e->at_ms);
	if (w->action != ALERT_WRITE_REOPEN) {
		assert_int_equal(w->reopen, 0);
		assert_null(w->change_by);
		assert_null(w->change_to);
		assert_null(w->change_note);
	}
}

static void test_rules_no_row_is_new(void **state)
{
	struct alert_event e = event_at(VN_LATE, 7);
	struct alert_row none = {0};
	struct alert_write w;

	(void)state;
	alert_decide(&e, &none, &w);
	assert_int_equal(w.action, ALERT_WRITE_NEW);
	assert_int_equal(w.raised, 1);
	assert_int_equal(w.count_code, 1);
	assert_values(&w, &e);
	e.batch = 0; /* no batch: no batch_stats row to count it in */
	alert_decide(&e, &none, &w);
	assert_int_equal(w.action, ALERT_WRITE_NEW);
	assert_int_equal(w.count_code, 0);
}

static void test_rules_open_or_investigating_is_counted(void **state)
{
	struct alert_event e = event_at(VN_LATE, 7);
	struct alert_row open = {.id = 12, .status = "open"};
	struct alert_row busy = {.id = 12, .status = "investigating", .changed_ms = VN_LATE - 10};
	struct alert_row unread = {.id = 12}; /* no status: not closed */
	const struct alert_row *rows[] = {&open, &busy, &unread};
	struct alert_write w;

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		alert_decide(&e, rows[i], &w);
		assert_int_equal(w.action, ALERT_WRITE_COUNT);
		assert_int_equal(w.raised, 0);
		assert_int_equal(w.count_code, 0);
		assert_values(&w, &e);
	}
}

static void test_rules_closed_is_reopened(void **state)
{
	static const char *const reasons[] = {"buyer-error", "technical-error", "other", NULL};
	struct alert_event e = event_at(VN_LATE, 7);
	struct alert_write w;

	(void)state;
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
		struct alert_row closed = {
		    .id = 12, .status = "closed", .reason = reasons[i], .changed_ms = VN_LATE - 10};
		alert_decide(&e, &closed, &w);
		assert_int_equal(w.action, ALERT_WRITE_REOPEN);
		assert_int_equal(w.raised, 1);
		assert_int_equal(w.reopen, 1);
		assert_int_equal(w.count_code, 0);
		assert_string_equal(w.change_by, "temd");
		assert_string_equal(w.change_to, "open");
		assert_string_equal(w.change_note, "reopened by a new event");
		assert_values(&w, &e);
	}
}

static void test_rules_counterfeit_stays_closed_its_vietnam_day(void **state)
{
	struct alert_row closed = {.id = 12,
				   .status = "closed",
				   .reason = "confirmed-counterfeit",
				   .changed_ms = VN_MORNING};
	struct alert_event e =
	    event_at(VN_MORNING + DAY_MS - 240000, 7); /* 23:57 VN, next UTC day */
	struct alert_write w;

	(void)state;
	alert_decide(&e, &closed, &w);
	assert_int_equal(w.action, ALERT_WRITE_COUNT);
	assert_int_equal(w.raised, 0);
	assert_values(&w, &e);
	/* 00:01 VN the next day reopens it */
	e = event_at(VN_MORNING + DAY_MS, 7);
	alert_decide(&e, &closed, &w);
	assert_int_equal(w.action, ALERT_WRITE_REOPEN);
	/* closed 23:59 VN, the event 00:01 VN: another Vietnam day, the same UTC day */
	closed.changed_ms = VN_LATE;
	e = event_at(VN_MORNING, 7);
	alert_decide(&e, &closed, &w);
	assert_int_equal(w.action, ALERT_WRITE_REOPEN);
	assert_int_equal(w.raised, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rules_scan_duplicate_is_a_total_of_its_scans),
	    cmocka_unit_test(test_rules_scan_one_event_types),
	    cmocka_unit_test(test_rules_scan_without_alert),
	    cmocka_unit_test(test_rules_guess_counts_the_day_limit),
	    cmocka_unit_test(test_rules_job_first_is_at_most_its_latest),
	    cmocka_unit_test(test_rules_no_row_is_new),
	    cmocka_unit_test(test_rules_open_or_investigating_is_counted),
	    cmocka_unit_test(test_rules_closed_is_reopened),
	    cmocka_unit_test(test_rules_counterfeit_stays_closed_its_vietnam_day),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
