/* pages_dashboard.c — HTML for regulators and producers: the dashboard's pages
 * (server/pages_dashboard.h). Layout in one <style> element the CSP allows, no style
 * attributes, no script; tables turn into cards on a phone's width. */
#include "server/pages_dashboard.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/sbuf.h"

/* 0 Vietnamese, 1 English */
#define L(vi_, en_) (en ? (en_) : (vi_))

static const char css[] =
    "*{box-sizing:border-box}"
    "body{margin:0;font-family:system-ui,-apple-system,'Noto Sans',sans-serif;"
    "background:#f4f4f2;color:#1c1c1c;line-height:1.4;font-size:15px}"
    "header{background:#123c2e;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;"
    "gap:.5rem 1rem;align-items:center;justify-content:space-between}"
    "header h1{font-size:1.15rem;margin:0}header .who{display:flex;flex-wrap:wrap;gap:.4rem 1rem;"
    "align-items:center;font-size:.9rem}header a{color:#cfe8dc}"
    "header button{margin:0;background:#fff;color:#123c2e;border:0}"
    "main{max-width:80rem;margin:0 auto;padding:1rem}"
    "section{background:#fff;border-radius:.6rem;padding:1rem;margin:0 0 1rem;"
    "box-shadow:0 1px 2px rgba(0,0,0,.08)}"
    "section>h2{font-size:1.1rem;margin:0 0 .7rem;display:flex;flex-wrap:wrap;gap:.3rem 1rem;"
    "align-items:baseline}section>h2 small{font-weight:normal;font-size:.85rem}"
    ".grid{display:grid;gap:1rem;grid-template-columns:1fr}"
    "@media(min-width:1000px){.grid{grid-template-columns:2fr 1fr}}"
    ".grid>section{margin:0}"
    "form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end;margin:0 0 .8rem}"
    "label{font-size:.8rem;color:#555;display:flex;flex-direction:column;gap:.15rem}"
    "input,select{font:inherit;padding:.4rem .5rem;border:1px solid #bbb;border-radius:.3rem;"
    "background:#fff;max-width:100%}"
    "button{font:inherit;padding:.4rem .8rem;border-radius:.3rem;border:1px solid #123c2e;"
    "background:#123c2e;color:#fff;cursor:pointer}"
    "button.alt{background:#fff;color:#123c2e}"
    "table{border-collapse:collapse;width:100%;font-size:.9rem}"
    "th{text-align:left;font-weight:600;color:#444;border-bottom:2px solid #ddd;padding:.4rem}"
    "td{border-bottom:1px solid #eee;padding:.45rem .4rem;vertical-align:top}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    "code,.id{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:.85rem;"
    "word-break:break-all}"
    ".muted{color:#666;font-size:.85rem}"
    ".st{display:inline-block;padding:.1rem .5rem;border-radius:1rem;font-size:.8rem;"
    "font-weight:600;white-space:nowrap}"
    ".st-open{background:#fde7e4;color:#8c1d15}.st-investigating{background:#fff1d6;"
    "color:#7a4700}.st-closed{background:#e3f1e7;color:#14602c}"
    ".ty{font-weight:600}"
    "form.wf{display:flex;flex-wrap:wrap;gap:.3rem;align-items:center}"
    "form.wf input[name=note]{flex:1 1 8rem;min-width:6rem}"
    ".scroll{overflow-x:auto}"
    ".notice{padding:.7rem 1rem;border-radius:.5rem;margin:0 0 1rem;background:#e3f1e7;"
    "border-left:.35rem solid #1b7f3b}.notice.bad{background:#fde7e4;border-color:#b3261e}"
    ".empty{padding:1rem;text-align:center;color:#555;background:#f7f7f5;border-radius:.4rem}"
    ".pager{display:flex;gap:1rem;margin-top:.7rem}"
    "a{color:#0b57d0}"
    "svg.chart{width:100%;height:auto;display:block}"
    "svg.chart text{font-size:11px;fill:#555;font-family:inherit}"
    ".legend{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;font-size:.85rem;margin:.4rem 0 0;"
    "padding:0;list-style:none}.legend li::before{content:'';display:inline-block;width:.9rem;"
    "height:.25rem;margin-right:.35rem;vertical-align:middle}"
    ".lg-s::before{background:#0b57d0}.lg-d::before{background:#b3261e}"
    ".lg-c::before{background:#1b7f3b}"
    "ul.csv{margin:0;padding-left:1.1rem}ul.csv li{margin:.25rem 0}"
    "dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0}"
    "dl.facts dt{color:#555}dl.facts dd{margin:0}"
    ".signin{max-width:28rem;margin:3rem auto}.signin input{width:100%;margin:.3rem 0 .8rem}"
    "th{white-space:nowrap}td .id,.tm{white-space:nowrap}"
    "@media(max-width:760px){main{padding:.5rem}section{padding:.75rem}"
    "svg.chart{min-width:34rem}"
    "table.cards,table.cards tbody{display:block}"
    "table.cards thead{display:none}table.cards tr{display:block;border:1px solid #e4e4e0;"
    "border-radius:.5rem;margin:0 0 .7rem;padding:.3rem .5rem}"
    "table.cards td{display:block;position:relative;border:0;padding:.2rem 0 .2rem 7rem;"
    "min-height:1.6rem}"
    "table.cards td.n{text-align:left}td .id{white-space:normal;word-break:break-all}"
    "table.cards td[data-l]::before{content:attr(data-l);position:absolute;left:0;top:.3rem;"
    "width:6.5rem;color:#666;font-size:.8rem}table.cards td.wf{padding-left:0}}";

/* --- words --- */

static const char *const type_words[ALERT_TYPES][2] = {
    [ALERT_DUPLICATE] = {"Tem bị sao chép", "Copied label"},
    [ALERT_SOLD_SCANNED] = {"Quét sau khi đã bán", "Scanned after sale"},
    [ALERT_UNREGISTERED] = {"Mã ngoài lô đã khai báo", "Code outside declared batches"},
    [ALERT_REVOKED_KEY] = {"Nhà sản xuất bị thu hồi", "Revoked producer"},
    [ALERT_INVALID_BURST] = {"Loạt tem giả", "Burst of forged labels"},
    [ALERT_CLAIM_GUESSING] = {"Dò mã mua hàng", "PIN guessing"},
};

/* What each type means, shown as the type's tooltip. */
static const char *const type_hints[ALERT_TYPES][2] = {
    [ALERT_DUPLICATE] = {"Mã được quét từ nhiều mạng hơn mức cho phép: tem có thể đã bị sao "
			 "chép.",
			 "Scanned from more networks than the rule allows: the label was "
			 "probably copied."},
    [ALERT_SOLD_SCANNED] = {"Mã đã được xác nhận bán, rồi được quét từ nơi khác.",
			    "A code claimed at sale, then scanned by someone else."},
    [ALERT_UNREGISTERED] = {"Chữ ký hợp lệ nhưng mã không thuộc lô nào đã khai báo.",
			    "A valid code outside every declared batch."},
    [ALERT_REVOKED_KEY] = {"Mã của nhà sản xuất đã bị ngừng công nhận được quét.",
			   "A code of a producer no longer recognised was scanned."},
    [ALERT_INVALID_BURST] = {"Nhiều mã giả mạo danh nhà sản xuất này trong thời gian ngắn.",
			     "Many forged codes naming this producer in a short time."},
    [ALERT_CLAIM_GUESSING] = {"Nhiều mã mua hàng sai trên một mã.",
			      "Many wrong claim PINs on one code."},
};

static const char *const status_words[ALERT_STATUSES][2] = {
    [ALERT_OPEN] = {"Mới", "Open"},
    [ALERT_INVESTIGATING] = {"Đang xác minh", "Investigating"},
    [ALERT_CLOSED] = {"Đã đóng", "Closed"},
};

static const char *const reason_words[ALERT_REASONS][2] = {
    [ALERT_REASON_NONE] = {"", ""},
    [ALERT_REASON_BUYER] = {"Lỗi của người mua", "Buyer error"},
    [ALERT_REASON_TECHNICAL] = {"Lỗi kỹ thuật", "Technical error"},
    [ALERT_REASON_COUNTERFEIT] = {"Xác nhận hàng giả", "Confirmed counterfeit"},
    [ALERT_REASON_OTHER] = {"Lý do khác", "Other"},
};

static const char *const verdict_words[V_COUNT][2] = {
    [V_GENUINE] = {"Chính hãng", "Genuine"},
    [V_SEEN] = {"Đã quét trước", "Scanned before"},
    [V_DUPLICATE] = {"Nghi sao chép", "Possible copy"},
    [V_SOLD] = {"Đã bán", "Sold"},
    [V_UNREGISTERED] = {"Chưa khai báo", "Not declared"},
    [V_EXPIRED] = {"Hết hạn", "Expired"},
    [V_REVOKED] = {"Bị thu hồi", "Revoked"},
    [V_UNKNOWN_KEY] = {"Không được công nhận", "Not recognised"},
    [V_INVALID] = {"Tem giả", "Fake"},
    [V_MALFORMED] = {"Không phải mã tem", "Not a code"},
};

const char *pages_dash_type(enum alert_type t, enum lang lang)
{
	return (unsigned)t < ALERT_TYPES ? type_words[t][lang == LANG_EN] : "?";
}

const char *pages_dash_status(enum alert_status s, enum lang lang)
{
	return (unsigned)s < ALERT_STATUSES ? status_words[s][lang == LANG_EN] : "?";
}

const char *pages_dash_reason(enum alert_reason r, enum lang lang)
{
	return (unsigned)r < ALERT_REASONS ? reason_words[r][lang == LANG_EN] : "?";
}

static const char *verdict_word(enum verdict v, int en)
{
	return (unsigned)v < V_COUNT ? verdict_words[v][en] : "—";
}

/* --- pieces --- */

static const char *lang_code(int en)
{
	return en ? "en" : "vi";
}

static void head(struct sbuf *b, int en, const char *title)
{
	sbuf_put(b,
		 "<!doctype html><html lang=\"%s\"><head><meta charset=\"utf-8\">"
		 "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
		 "<meta name=\"robots\" content=\"noindex\">"
		 /* temd's Referrer-Policy is no-referrer, under which a browser sends
		  * "Origin: null" with a form post; the dashboard's own forms name their origin
		  * so the cross-site check can tell them from another site's */
		 "<meta name=\"referrer\" content=\"same-origin\"><title>",
		 lang_code(en));
	sbuf_html(b, title);
	sbuf_put(b, " · tem</title><style>%s</style></head><body>", css);
}

/* A time in Ho Chi Minh City (UTC+7 all year), to the minute. */
static void local_time(int64_t ms, int en, char *out, size_t cap)
{
	time_t t = (time_t)(ms / 1000 + 7 * 3600);
	struct tm tm;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(out, cap, "—");
		return;
	}
	strftime(out, cap, en ? "%Y-%m-%d %H:%M" : "%d/%m/%Y %H:%M", &tm);
}

static void local_day(int32_t day, int en, int short_form, char *out, size_t cap)
{
	time_t t = (time_t)day * 86400;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(out, cap, "?");
		return;
	}
	strftime(out, cap, short_form ? (en ? "%m-%d" : "%d/%m") : (en ? "%Y-%m-%d" : "%d/%m/%Y"),
		 &tm);
}

/* The bar at the top: the dashboard's name, who is signed in, sign-out, the other language. */
static void top(struct sbuf *b, const struct dash_who *w, int en, const char *self)
{
	char t[40];

	sbuf_put(b, "<header><h1><a href=\"/dashboard?lang=%s\">tem</a> · %s</h1>", lang_code(en),
		 L("Bảng điều khiển", "Dashboard"));
	sbuf_put(b, "<div class=\"who\">");
	if (w != NULL) {
		sbuf_put(b, "<span>%s <strong>", L("Đăng nhập:", "Signed in:"));
		sbuf_html(b, w->name);
		sbuf_put(b, "</strong> · ");
		if (w->producer == NULL || w->producer[0] == '\0') {
			sbuf_put(b, "%s", L("mọi nhà sản xuất", "every producer"));
		} else {
			sbuf_put(b, "%s <span class=\"id\">", L("nhà sản xuất", "producer"));
			sbuf_html(b, w->producer);
			sbuf_put(b, "</span>");
		}
		if (w->expires_ms > 0) {
			local_time(w->expires_ms, en, t, sizeof t);
			sbuf_put(b, " · %s %s", L("hết hạn", "expires"), t);
		}
		sbuf_put(b,
			 "</span><form method=\"post\" action=\"/dashboard/sign-out\">"
			 "<input type=\"hidden\" name=\"lang\" value=\"%s\">"
			 "<button>%s</button></form>",
			 lang_code(en), L("Đăng xuất", "Sign out"));
	}
	sbuf_put(b, "<a href=\"");
	sbuf_html(b, self);
	sbuf_put(b, "%slang=%s\">%s</a></div></header><main>",
		 strchr(self, '?') != NULL ? "&amp;" : "?", en ? "vi" : "en",
		 en ? "Tiếng Việt" : "English");
}

static void tail(struct sbuf *b)
{
	sbuf_put(b, "</main></body></html>\n");
}

/* A table cell with its label for the phone's card layout. */
static void cell(struct sbuf *b, const char *cls, const char *label)
{
	sbuf_put(b, "<td%s%s%s data-l=\"%s\">", cls != NULL ? " class=\"" : "",
		 cls != NULL ? cls : "", cls != NULL ? "\"" : "", label);
}

static void num_cell(struct sbuf *b, const char *label, int64_t v)
{
	cell(b, "n", label);
	sbuf_put(b, "%" PRId64 "</td>", v);
}

static void time_cell(struct sbuf *b, const char *label, int64_t ms, int en)
{
	char t[40];

	local_time(ms, en, t, sizeof t);
	cell(b, NULL, label);
	sbuf_put(b, "<span class=\"tm\">%s</span></td>", t);
}

/* The short id of a code (KEYID-SERIAL), linked to its page; "—" for an alert on the key. */
static void code_link(struct sbuf *b, const char *key_id, uint64_t serial, int en)
{
	if (serial == 0) {
		sbuf_put(b, "<span class=\"muted\">%s</span>",
			 L("cả nhà sản xuất", "the whole producer"));
		return;
	}
	sbuf_put(b, "<a class=\"id\" href=\"/dashboard/code?code=");
	sbuf_html(b, key_id);
	sbuf_put(b, "-%" PRIu64 "&amp;lang=%s\">", serial, lang_code(en));
	sbuf_html(b, key_id);
	sbuf_put(b, "-%" PRIu64 "</a>", serial);
}

/* The query string of the queue's filters (values are names and hex digits the route
 * checked; escaped all the same), beginning with '&' for each set filter. */
static void filter_query(struct sbuf *b, const struct dash_filter *f)
{
	if (f->type >= 0) {
		sbuf_put(b, "&amp;type=");
		sbuf_html(b, alert_type_name((enum alert_type)f->type));
	}
	if (f->status >= 0) {
		sbuf_put(b, "&amp;status=");
		sbuf_html(b, alert_status_name((enum alert_status)f->status));
	}
	if (f->producer != NULL && f->producer[0] != '\0') {
		sbuf_put(b, "&amp;producer=");
		sbuf_html(b, f->producer);
	}
}

/* Hidden fields that bring the queue's filters back after a workflow step. */
static void filter_hidden(struct sbuf *b, const struct dash_filter *f)
{
	if (f->type >= 0)
		sbuf_put(b, "<input type=\"hidden\" name=\"f_type\" value=\"%s\">",
			 alert_type_name((enum alert_type)f->type));
	if (f->status >= 0)
		sbuf_put(b, "<input type=\"hidden\" name=\"f_status\" value=\"%s\">",
			 alert_status_name((enum alert_status)f->status));
	if (f->producer != NULL && f->producer[0] != '\0') {
		sbuf_put(b, "<input type=\"hidden\" name=\"f_producer\" value=\"");
		sbuf_html(b, f->producer);
		sbuf_put(b, "\">");
	}
}

/* The workflow form of one alert: a closing reason, a note, and the steps it may take. */
static void workflow(struct sbuf *b, const struct dash_alert *a, const struct dash_filter *f,
		     int en)
{
	sbuf_put(b,
		 "<form class=\"wf\" method=\"post\" action=\"/dashboard/alerts/%" PRId64 "\">"
		 "<input type=\"hidden\" name=\"lang\" value=\"%s\">",
		 a->id, lang_code(en));
	filter_hidden(b, f);
	if (a->status != ALERT_CLOSED) {
		sbuf_put(b, "<select name=\"reason\" aria-label=\"%s\">",
			 L("Lý do đóng", "Reason to close"));
		for (int r = ALERT_REASON_BUYER; r < ALERT_REASONS; r++)
			sbuf_put(b, "<option value=\"%s\">%s</option>",
				 alert_reason_name((enum alert_reason)r), reason_words[r][en]);
		sbuf_put(b,
			 "</select><input name=\"note\" maxlength=\"1000\" autocomplete=\"off\" "
			 "placeholder=\"%s\" aria-label=\"%s\">",
			 L("Ghi chú", "Note"), L("Ghi chú", "Note"));
		if (a->status == ALERT_OPEN)
			sbuf_put(b,
				 "<button class=\"alt\" name=\"status\" value=\"investigating\">"
				 "%s</button>",
				 L("Xác minh", "Investigate"));
		sbuf_put(b, "<button name=\"status\" value=\"closed\">%s</button>",
			 L("Đóng", "Close"));
	} else {
		sbuf_put(b,
			 "<input name=\"note\" maxlength=\"1000\" autocomplete=\"off\" "
			 "placeholder=\"%s\" aria-label=\"%s\"><button class=\"alt\" "
			 "name=\"status\" value=\"open\">%s</button>",
			 L("Ghi chú", "Note"), L("Ghi chú", "Note"), L("Mở lại", "Reopen"));
	}
	sbuf_put(b, "</form>");
}

/* The status badge, and for a changed alert who changed it, when, why and the note. */
static void status_cell(struct sbuf *b, const struct dash_alert *a, int en)
{
	char t[40];
	unsigned s = (unsigned)a->status < ALERT_STATUSES ? (unsigned)a->status : 0;

	cell(b, NULL, L("Trạng thái", "Status"));
	sbuf_put(b, "<span class=\"st st-%s\">%s</span>", alert_status_name((enum alert_status)s),
		 status_words[s][en]);
	if (a->status == ALERT_CLOSED && (unsigned)a->reason < ALERT_REASONS &&
	    a->reason != ALERT_REASON_NONE)
		sbuf_put(b, "<br>%s", reason_words[a->reason][en]);
	if (a->updated_by != NULL && a->updated_by[0] != '\0') {
		local_time(a->updated_ms, en, t, sizeof t);
		sbuf_put(b, "<br><span class=\"muted\">");
		sbuf_html(b, a->updated_by);
		sbuf_put(b, ", %s</span>", t);
	}
	if (a->note != NULL && a->note[0] != '\0') {
		sbuf_put(b, "<br><span class=\"muted\">“");
		sbuf_html(b, a->note);
		sbuf_put(b, "”</span>");
	}
	sbuf_put(b, "</td>");
}

/* A table of alerts; with_form adds the workflow column. */
static void alert_table(struct sbuf *b, const struct dash_alert *as, size_t n,
			const struct dash_filter *f, int en, int with_form)
{
	sbuf_put(b,
		 "<div class=\"scroll\"><table class=\"cards alerts\"><thead><tr><th>#</th>"
		 "<th>%s</th><th>%s</th><th>%s</th><th class=\"n\">%s</th><th class=\"n\">%s</th>"
		 "<th>%s</th><th>%s</th><th>%s</th>%s%s%s</tr></thead><tbody>",
		 L("Loại", "Type"), L("Nhà sản xuất", "Producer"), L("Mã", "Code"),
		 L("Sự việc", "Events"), L("Mạng", "Networks"), L("Lần đầu", "First"),
		 L("Gần nhất", "Latest"), L("Trạng thái", "Status"), with_form ? "<th>" : "",
		 with_form ? L("Xử lý", "Action") : "", with_form ? "</th>" : "");
	for (size_t i = 0; i < n; i++) {
		const struct dash_alert *a = &as[i];
		unsigned ty = (unsigned)a->type < ALERT_TYPES ? (unsigned)a->type : 0;

		sbuf_put(b, "<tr id=\"a%" PRId64 "\">", a->id);
		cell(b, NULL, "#");
		sbuf_put(b, "%" PRId64 "</td>", a->id);
		cell(b, NULL, L("Loại", "Type"));
		if ((unsigned)a->type < ALERT_TYPES)
			sbuf_put(b, "<span class=\"ty\" title=\"%s\">%s</span>", type_hints[ty][en],
				 type_words[ty][en]);
		else
			sbuf_put(b, "?");
		sbuf_put(b, "</td>");
		cell(b, NULL, L("Nhà sản xuất", "Producer"));
		sbuf_html(b, a->producer != NULL && a->producer[0] != '\0' ? a->producer : "—");
		sbuf_put(b, "<br><span class=\"id muted\">");
		sbuf_html(b, a->key_id);
		sbuf_put(b, "</span></td>");
		cell(b, NULL, L("Mã", "Code"));
		code_link(b, a->key_id, a->serial, en);
		sbuf_put(b, "</td>");
		num_cell(b, L("Sự việc", "Events"), a->events);
		num_cell(b, L("Mạng", "Networks"), a->clients);
		time_cell(b, L("Lần đầu", "First"), a->first_ms, en);
		time_cell(b, L("Gần nhất", "Latest"), a->last_ms, en);
		status_cell(b, a, en);
		if (with_form) {
			sbuf_put(b, "<td class=\"wf\">");
			workflow(b, a, f, en);
			sbuf_put(b, "</td>");
		}
		sbuf_put(b, "</tr>");
	}
	sbuf_put(b, "</tbody></table></div>");
}

/* The queue's filter form (GET /dashboard). */
static void filter_form(struct sbuf *b, const struct dash_main *m, int en)
{
	const struct dash_filter *f = &m->filter;
	int scoped = m->who.producer != NULL && m->who.producer[0] != '\0';

	sbuf_put(b,
		 "<form class=\"filters\" method=\"get\" action=\"/dashboard\">"
		 "<input type=\"hidden\" name=\"lang\" value=\"%s\"><label>%s<select name=\"type\">"
		 "<option value=\"\">%s</option>",
		 lang_code(en), L("Loại", "Type"), L("Mọi loại", "Every type"));
	for (int t = 0; t < ALERT_TYPES; t++)
		sbuf_put(b, "<option value=\"%s\"%s>%s</option>",
			 alert_type_name((enum alert_type)t), f->type == t ? " selected" : "",
			 type_words[t][en]);
	sbuf_put(b,
		 "</select></label><label>%s<select name=\"status\"><option value=\"\">%s</option>",
		 L("Trạng thái", "Status"), L("Mọi trạng thái", "Every status"));
	for (int s = 0; s < ALERT_STATUSES; s++)
		sbuf_put(b, "<option value=\"%s\"%s>%s</option>",
			 alert_status_name((enum alert_status)s), f->status == s ? " selected" : "",
			 status_words[s][en]);
	sbuf_put(b, "</select></label>");
	if (!scoped) {
		sbuf_put(b, "<label>%s<select name=\"producer\"><option value=\"\">%s</option>",
			 L("Nhà sản xuất", "Producer"), L("Mọi nhà sản xuất", "Every producer"));
		for (size_t i = 0; i < m->n_producers; i++) {
			const struct dash_producer *p = &m->producers[i];
			int sel = f->producer != NULL && strcmp(f->producer, p->key_id) == 0;
			sbuf_put(b, "<option value=\"");
			sbuf_html(b, p->key_id);
			sbuf_put(b, "\"%s>", sel ? " selected" : "");
			sbuf_html(b, p->name != NULL && p->name[0] != '\0' ? p->name : p->key_id);
			sbuf_put(b, "</option>");
		}
		sbuf_put(b, "</select></label>");
	}
	sbuf_put(b, "<button>%s</button></form>", L("Lọc", "Filter"));
}

/* Writes v as a chart coordinate: one decimal, no trailing ".0". */
static void coord(struct sbuf *b, double v)
{
	long tenths = (long)(v * 10.0 + (v < 0 ? -0.5 : 0.5));

	if (tenths % 10 == 0)
		sbuf_put(b, "%ld", tenths / 10);
	else
		sbuf_put(b, "%s%ld.%ld", tenths < 0 ? "-" : "", labs(tenths) / 10,
			 labs(tenths) % 10);
}

int64_t pages_dash_axis_max(int64_t max)
{
	int64_t pow10 = 1;

	if (max <= 0)
		return 4;
	/* the smallest step of 1, 2 or 5 times a power of ten with 4 steps >= max */
	for (;;) {
		static const int mult[] = {1, 2, 5};
		for (int i = 0; i < 3; i++)
			if (4 * mult[i] * pow10 >= max)
				return 4 * mult[i] * pow10;
		if (pow10 > INT64_MAX / 100)
			return max;
		pow10 *= 10;
	}
}

/* The chart: scans, duplicates and claims per day as three lines over the days, y axis from 0
 * to pages_dash_axis_max of the largest value, a label every few days. */
static void chart(struct sbuf *b, const struct dash_day *d, size_t n, int en)
{
	static const struct {
		const char *cls, *colour;
		const char *name[2];
	} series[3] = {
	    {"s", "#0b57d0", {"Lượt quét", "Scans"}},
	    {"d", "#b3261e", {"Nghi sao chép", "Duplicates"}},
	    {"c", "#1b7f3b", {"Xác nhận mua", "Claims"}},
	};
	const double w = DASH_CHART_X1 - DASH_CHART_X0, h = DASH_CHART_Y1 - DASH_CHART_Y0;
	int64_t max = 0, top_v, totals[3] = {0, 0, 0};
	char t[32];

	for (size_t i = 0; i < n; i++) {
		int64_t v[3] = {d[i].scans, d[i].duplicates, d[i].claims};
		for (int s = 0; s < 3; s++) {
			if (v[s] > max)
				max = v[s];
			totals[s] += v[s];
		}
	}
	top_v = pages_dash_axis_max(max);
	sbuf_put(b,
		 "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
		 "aria-labelledby=\"chart-t\"><title id=\"chart-t\">%s</title>",
		 DASH_CHART_W, DASH_CHART_H,
		 L("Lượt quét, nghi sao chép và xác nhận mua mỗi ngày",
		   "Scans, duplicates and claims per day"));
	/* y axis: 5 grid lines with their values */
	for (int k = 0; k <= 4; k++) {
		double y = DASH_CHART_Y1 - h * k / 4.0;
		sbuf_put(b, "<line x1=\"%d\" x2=\"%d\" y1=\"", DASH_CHART_X0, DASH_CHART_X1);
		coord(b, y);
		sbuf_put(b, "\" y2=\"");
		coord(b, y);
		sbuf_put(b, "\" stroke=\"%s\"/><text x=\"%d\" y=\"", k == 0 ? "#888" : "#e4e4e0",
			 DASH_CHART_X0 - 6);
		coord(b, y + 4);
		sbuf_put(b, "\" text-anchor=\"end\">%" PRId64 "</text>", top_v * k / 4);
	}
	sbuf_put(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#888\"/>",
		 DASH_CHART_X0, DASH_CHART_X0, DASH_CHART_Y0, DASH_CHART_Y1);
	if (n == 0) {
		sbuf_put(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text></svg>",
			 (DASH_CHART_X0 + DASH_CHART_X1) / 2, (DASH_CHART_Y0 + DASH_CHART_Y1) / 2,
			 L("Chưa có số liệu", "No figures yet"));
		return;
	}
	/* x axis: a day label every 5 days counted back from the last, which is always labelled */
	for (size_t i = 0; i < n; i++) {
		double x = n > 1 ? DASH_CHART_X0 + w * (double)i / (double)(n - 1)
				 : (DASH_CHART_X0 + DASH_CHART_X1) / 2.0;
		if ((n - 1 - i) % 5 != 0)
			continue;
		local_day(d[i].day, en, 1, t, sizeof t);
		sbuf_put(b, "<line y1=\"%d\" y2=\"%d\" x1=\"", DASH_CHART_Y1, DASH_CHART_Y1 + 4);
		coord(b, x);
		sbuf_put(b, "\" x2=\"");
		coord(b, x);
		sbuf_put(b, "\" stroke=\"#888\"/><text y=\"%d\" x=\"", DASH_CHART_Y1 + 18);
		coord(b, x);
		sbuf_put(b, "\" text-anchor=\"middle\">%s</text>", t);
	}
	sbuf_put(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>",
		 (DASH_CHART_X0 + DASH_CHART_X1) / 2, DASH_CHART_H - 4,
		 L("Ngày (giờ Việt Nam)", "Day (Vietnam time)"));
	for (int s = 0; s < 3; s++) {
		sbuf_put(b,
			 "<polyline class=\"line-%s\" fill=\"none\" stroke=\"%s\" "
			 "stroke-width=\"2\" stroke-linejoin=\"round\" points=\"",
			 series[s].cls, series[s].colour);
		for (size_t i = 0; i < n; i++) {
			int64_t v = s == 0 ? d[i].scans : s == 1 ? d[i].duplicates : d[i].claims;
			double x = n > 1 ? DASH_CHART_X0 + w * (double)i / (double)(n - 1)
					 : (DASH_CHART_X0 + DASH_CHART_X1) / 2.0;
			double y = DASH_CHART_Y1 - h * (double)v / (double)top_v;
			sbuf_put(b, "%s", i > 0 ? " " : "");
			coord(b, x);
			sbuf_put(b, ",");
			coord(b, y);
		}
		sbuf_put(b, "\"/>");
	}
	/* one transparent column per day whose tooltip gives the day's figures */
	for (size_t i = 0; i < n; i++) {
		double x = n > 1 ? DASH_CHART_X0 + w * (double)i / (double)(n - 1)
				 : (DASH_CHART_X0 + DASH_CHART_X1) / 2.0;
		double cw = n > 1 ? w / (double)(n - 1) : w;
		local_day(d[i].day, en, 0, t, sizeof t);
		sbuf_put(b, "<rect y=\"%d\" height=\"%d\" x=\"", DASH_CHART_Y0,
			 DASH_CHART_Y1 - DASH_CHART_Y0);
		coord(b, x - cw / 2);
		sbuf_put(b, "\" width=\"");
		coord(b, cw);
		sbuf_put(b,
			 "\" fill=\"transparent\"><title>%s: %s %" PRId64 ", %s %" PRId64
			 ", %s %" PRId64 "</title></rect>",
			 t, series[0].name[en], d[i].scans, series[1].name[en], d[i].duplicates,
			 series[2].name[en], d[i].claims);
	}
	sbuf_put(b, "</svg><ul class=\"legend\">");
	for (int s = 0; s < 3; s++)
		sbuf_put(b, "<li class=\"lg-%s\">%s: <strong>%" PRId64 "</strong></li>",
			 series[s].cls, series[s].name[en], totals[s]);
	sbuf_put(b, "</ul>");
}

static void producer_table(struct sbuf *b, const struct dash_main *m, int en)
{
	char t[24];

	if (m->n_producers == 0) {
		sbuf_put(b, "<p class=\"empty\">%s</p>",
			 L("Chưa có nhà sản xuất nào trong danh sách.", "No producer listed yet."));
		return;
	}
	sbuf_put(b,
		 "<div class=\"scroll\"><table class=\"cards producers\"><thead><tr><th>%s</th>"
		 "<th class=\"n\">%s</th><th class=\"n\">%s</th><th class=\"n\">%s</th>"
		 "<th class=\"n\">%s</th><th class=\"n\">%s</th><th class=\"n\">%s</th></tr>"
		 "</thead><tbody>",
		 L("Nhà sản xuất", "Producer"), L("Lô", "Batches"), L("Mã", "Codes"),
		 L("Lượt quét", "Scans"), L("Mã đã quét", "Codes scanned"), L("Đã bán", "Claimed"),
		 L("Cảnh báo mở", "Open alerts"));
	for (size_t i = 0; i < m->n_producers; i++) {
		const struct dash_producer *p = &m->producers[i];
		sbuf_put(b, "<tr>");
		cell(b, NULL, L("Nhà sản xuất", "Producer"));
		sbuf_html(b, p->name != NULL && p->name[0] != '\0' ? p->name : "—");
		sbuf_put(b, "<br><span class=\"id muted\">");
		sbuf_html(b, p->key_id);
		sbuf_put(b, "</span>");
		if (p->revoked >= 0) {
			local_day(p->revoked, en, 0, t, sizeof t);
			sbuf_put(b, "<br><span class=\"st st-open\">%s %s</span>",
				 L("Ngừng công nhận từ", "Revoked on"), t);
		}
		sbuf_put(b, "</td>");
		num_cell(b, L("Lô", "Batches"), p->batches);
		num_cell(b, L("Mã", "Codes"), p->codes);
		num_cell(b, L("Lượt quét", "Scans"), p->scans);
		num_cell(b, L("Mã đã quét", "Codes scanned"), p->scanned);
		num_cell(b, L("Đã bán", "Claimed"), p->claimed);
		cell(b, "n", L("Cảnh báo mở", "Open alerts"));
		if (p->open_alerts > 0) {
			sbuf_put(b, "<a href=\"/dashboard?lang=%s&amp;producer=", lang_code(en));
			sbuf_html(b, p->key_id);
			sbuf_put(b, "\">%" PRId64 "</a></td>", p->open_alerts);
		} else {
			sbuf_put(b, "0</td>");
		}
		sbuf_put(b, "</tr>");
	}
	sbuf_put(b, "</tbody></table></div>");
}

static void lookup_form(struct sbuf *b, const char *query, int en)
{
	sbuf_put(b,
		 "<form class=\"filters\" method=\"get\" action=\"/dashboard/code\">"
		 "<input type=\"hidden\" name=\"lang\" value=\"%s\"><label>%s"
		 "<input name=\"code\" size=\"28\" maxlength=\"600\" autocomplete=\"off\" "
		 "placeholder=\"3F9A0C21D4E5B6A7-1042\" value=\"",
		 lang_code(en), L("Mã tem hoặc số tem", "Code or label number"));
	sbuf_html(b, query != NULL ? query : "");
	sbuf_put(b, "\"></label><button>%s</button></form>", L("Tra cứu", "Look up"));
}

/* CSV links: the API's lists under /dashboard/csv/ (server/routes.c), where the session cookie
 * goes. */
static void csv_links(struct sbuf *b, const struct dash_main *m, int en)
{
	char from[16] = "", to[16] = "";

	if (m->n_days > 0) {
		local_day(m->days[0].day, 1, 0, from, sizeof from);
		local_day(m->days[m->n_days - 1].day, 1, 0, to, sizeof to);
	}
	sbuf_put(b, "<ul class=\"csv\"><li><a href=\"/dashboard/csv/alerts?format=csv");
	filter_query(b, &m->filter);
	sbuf_put(b, "\">%s</a></li>", L("Cảnh báo (theo bộ lọc)", "Alerts (as filtered)"));
	sbuf_put(b, "<li><a href=\"/dashboard/csv/producers?format=csv\">%s</a></li>",
		 L("Nhà sản xuất", "Producers"));
	sbuf_put(b, "<li><a href=\"/dashboard/csv/batches?format=csv\">%s</a></li>",
		 L("Lô hàng đã khai báo", "Declared batches"));
	if (m->n_days > 0) {
		sbuf_put(
		    b,
		    "<li><a "
		    "href=\"/dashboard/csv/stats?format=csv&amp;by=day&amp;from=%s&amp;to=%s\">"
		    "%s</a></li>",
		    from, to, L("Thống kê theo ngày", "Statistics by day"));
		sbuf_put(
		    b,
		    "<li><a "
		    "href=\"/dashboard/csv/stats?format=csv&amp;by=batch&amp;from=%s&amp;to=%s\">"
		    "%s</a></li>",
		    from, to, L("Thống kê theo lô", "Statistics by batch"));
		sbuf_put(
		    b,
		    "<li><a "
		    "href=\"/dashboard/csv/scans?format=csv&amp;from=%s&amp;to=%s\">%s</a></li>",
		    from, to, L("Lượt quét (31 ngày)", "Scans (31 days)"));
	}
	sbuf_put(b, "</ul>");
}

/* --- pages --- */

int pages_dash_sign_in(enum lang lang, const char *message, char **out, size_t *len)
{
	int en = lang == LANG_EN;
	struct sbuf b;

	if (sbuf_init(&b, 8192) != 0)
		return -1;
	head(&b, en, L("Đăng nhập", "Sign in"));
	top(&b, NULL, en, "/dashboard");
	sbuf_put(&b, "<section class=\"signin\"><h2>%s</h2>",
		 L("Đăng nhập bảng điều khiển", "Sign in to the dashboard"));
	if (message != NULL && message[0] != '\0') {
		sbuf_put(&b, "<p class=\"notice bad\" role=\"alert\">");
		sbuf_html(&b, message);
		sbuf_put(&b, "</p>");
	}
	sbuf_put(
	    &b,
	    "<form method=\"post\" action=\"/dashboard/sign-in\">"
	    "<input type=\"hidden\" name=\"lang\" value=\"%s\"><label for=\"token\">%s</label>"
	    "<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" "
	    "maxlength=\"200\" required autofocus><button>%s</button></form><p class=\"muted\">"
	    "%s <code>temd token create</code>%s</p></section>",
	    lang_code(en), L("Mã truy cập (token)", "Access token"), L("Đăng nhập", "Sign in"),
	    L("Mã truy cập do cơ quan quản lý cấp bằng lệnh",
	      "Your token is given by the authority, who makes it with"),
	    L(". Mã của một nhà sản xuất chỉ cho xem hàng của nhà sản xuất đó.",
	      ". A producer's token shows only that producer's labels."));
	tail(&b);
	return sbuf_take(&b, out, len);
}

int pages_dash_main(const struct dash_main *m, enum lang lang, char **out, size_t *len)
{
	int en = lang == LANG_EN;
	struct sbuf b;

	if (sbuf_init(&b, 65536) != 0)
		return -1;
	head(&b, en, L("Bảng điều khiển", "Dashboard"));
	top(&b, &m->who, en, "/dashboard");
	if (m->notice != NULL && m->notice[0] != '\0') {
		sbuf_put(&b, "<p class=\"notice%s\" role=\"status\">", m->notice_bad ? " bad" : "");
		sbuf_html(&b, m->notice);
		sbuf_put(&b, "</p>");
	}
	sbuf_put(&b, "<section id=\"alerts\"><h2>%s <small>%s</small></h2>",
		 L("Cảnh báo", "Alerts"), L("mới nhất trước", "newest first"));
	filter_form(&b, m, en);
	if (m->n_alerts == 0)
		sbuf_put(
		    &b, "<p class=\"empty\">%s</p>",
		    m->filter.type >= 0 || m->filter.status >= 0 ||
			    (m->filter.producer != NULL && m->filter.producer[0] != '\0')
			? L("Không có cảnh báo nào khớp bộ lọc.", "No alert matches the filters.")
			: L("Chưa có cảnh báo nào.", "No alert yet."));
	else
		alert_table(&b, m->alerts, m->n_alerts, &m->filter, en, 1);
	if (m->after > 0 || m->next_after > 0) {
		sbuf_put(&b, "<p class=\"pager\">");
		if (m->after > 0) {
			sbuf_put(&b, "<a href=\"/dashboard?lang=%s", lang_code(en));
			filter_query(&b, &m->filter);
			sbuf_put(&b, "\">%s</a>", L("« Mới nhất", "« Newest"));
		}
		if (m->next_after > 0) {
			sbuf_put(&b, "<a href=\"/dashboard?lang=%s", lang_code(en));
			filter_query(&b, &m->filter);
			sbuf_put(&b, "&amp;after=%" PRId64 "\">%s</a>", m->next_after,
				 L("Cũ hơn »", "Older »"));
		}
		sbuf_put(&b, "</p>");
	}
	sbuf_put(&b,
		 "</section><div class=\"grid\"><section id=\"chart\"><h2>%s <small>%s</small>"
		 "</h2>",
		 L("Hoạt động mỗi ngày", "Activity per day"),
		 L("31 ngày gần nhất", "the last 31 days"));
	sbuf_put(&b, "<div class=\"scroll\">");
	chart(&b, m->days, m->n_days, en);
	sbuf_put(&b, "</div></section><div><section id=\"lookup\"><h2>%s</h2>",
		 L("Tra cứu một mã", "Look up a code"));
	lookup_form(&b, "", en);
	sbuf_put(&b, "<p class=\"muted\">%s</p></section><section id=\"csv\"><h2>%s</h2>",
		 L("Lịch sử quét, trạng thái bán và cảnh báo của một mã; không tính là một lượt "
		   "quét.",
		   "A code's scan history, sale and alerts; looking does not count as a scan."),
		 L("Tải CSV", "CSV downloads"));
	csv_links(&b, m, en);
	sbuf_put(&b, "</section></div></div><section id=\"producers\"><h2>%s</h2>",
		 L("Nhà sản xuất", "Producers"));
	producer_table(&b, m, en);
	sbuf_put(&b, "</section>");
	tail(&b);
	return sbuf_take(&b, out, len);
}

int pages_dash_code(const struct dash_code *c, enum lang lang, char **out, size_t *len)
{
	int en = lang == LANG_EN;
	struct dash_filter none = {-1, -1, ""};
	struct sbuf b;
	char t[40], self[160];

	snprintf(self, sizeof self, "/dashboard/code%s%s",
		 c->found && c->short_id != NULL ? "?code=" : "",
		 c->found && c->short_id != NULL ? c->short_id : "");
	if (sbuf_init(&b, 32768) != 0)
		return -1;
	head(&b, en, c->found && c->short_id != NULL ? c->short_id : L("Tra cứu mã", "Code"));
	top(&b, &c->who, en, self);
	sbuf_put(&b, "<section id=\"lookup\"><h2>%s</h2>", L("Tra cứu một mã", "Look up a code"));
	lookup_form(&b, c->query, en);
	if (c->message != NULL && c->message[0] != '\0') {
		sbuf_put(&b, "<p class=\"notice bad\" role=\"alert\">");
		sbuf_html(&b, c->message);
		sbuf_put(&b, "</p>");
	}
	sbuf_put(&b, "<p><a href=\"/dashboard?lang=%s\">%s</a></p></section>", lang_code(en),
		 L("« Về bảng điều khiển", "« Back to the dashboard"));
	if (!c->found) {
		tail(&b);
		return sbuf_take(&b, out, len);
	}
	sbuf_put(&b, "<section id=\"code\"><h2>%s <span class=\"id\">", L("Mã", "Code"));
	sbuf_html(&b, c->short_id);
	sbuf_put(&b, "</span></h2><dl class=\"facts\"><dt>%s</dt><dd>",
		 L("Nhà sản xuất", "Producer"));
	sbuf_html(&b, c->producer != NULL && c->producer[0] != '\0' ? c->producer : "—");
	sbuf_put(&b, "</dd><dt>%s</dt><dd>", L("Lô hàng", "Batch"));
	if (c->in_batch) {
		sbuf_html(&b, c->product != NULL ? c->product : "");
		sbuf_put(&b, " · ");
		sbuf_html(&b, c->batch_id != NULL ? c->batch_id : "");
	} else {
		sbuf_put(&b, "%s", L("không thuộc lô nào đã khai báo", "in no declared batch"));
	}
	sbuf_put(&b, "</dd><dt>%s</dt><dd>%" PRId64 " (%s %" PRId64 ")</dd>",
		 L("Lượt quét", "Scans"), c->scans, L("mạng khác nhau:", "distinct networks:"),
		 c->clients);
	local_time(c->first_ms, en, t, sizeof t);
	sbuf_put(&b, "<dt>%s</dt><dd>%s</dd>", L("Lần quét đầu", "First scan"), t);
	local_time(c->last_ms, en, t, sizeof t);
	sbuf_put(&b, "<dt>%s</dt><dd>%s</dd>", L("Lần quét gần nhất", "Latest scan"), t);
	sbuf_put(&b, "<dt>%s</dt><dd>%s</dd>", L("Kết quả gần nhất", "Latest verdict"),
		 verdict_word(c->last, en));
	sbuf_put(&b, "<dt>%s</dt><dd>", L("Bán", "Sale"));
	if (c->claimed_ms > 0) {
		local_time(c->claimed_ms, en, t, sizeof t);
		sbuf_put(&b, "%s %s, %s <span class=\"id\">",
			 L("đã xác nhận mua lúc", "claimed on"), t, L("mạng", "network"));
		sbuf_html(&b, c->claimer);
		sbuf_put(&b, "</span>");
	} else {
		sbuf_put(&b, "%s", L("chưa ai xác nhận mua", "not claimed"));
	}
	sbuf_put(&b, "</dd></dl></section>");
	sbuf_put(&b, "<section id=\"code-alerts\"><h2>%s</h2>", L("Cảnh báo", "Alerts"));
	if (c->n_alerts == 0)
		sbuf_put(&b, "<p class=\"empty\">%s</p>",
			 L("Mã này chưa có cảnh báo nào.", "No alert on this code."));
	else
		alert_table(&b, c->alerts, c->n_alerts, &none, en, 1);
	sbuf_put(&b, "</section><section id=\"history\"><h2>%s <small>%s</small></h2>",
		 L("Lịch sử quét", "Scan history"), L("cũ nhất trước", "oldest first"));
	if (c->n_history == 0) {
		sbuf_put(&b, "<p class=\"empty\">%s</p>",
			 c->after > 0
			     ? L("Không còn lượt quét nào.", "No more scans.")
			     : L("Mã này chưa được quét.", "This code was never scanned."));
	} else {
		sbuf_put(&b,
			 "<div class=\"scroll\"><table class=\"cards history\"><thead><tr>"
			 "<th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
			 L("Thời gian", "Time"), L("Mạng (mã băm)", "Network (hash)"),
			 L("Kết quả", "Verdict"));
		for (size_t i = 0; i < c->n_history; i++) {
			const struct dash_scan *s = &c->history[i];
			sbuf_put(&b, "<tr>");
			time_cell(&b, L("Thời gian", "Time"), s->at_ms, en);
			cell(&b, NULL, L("Mạng", "Network"));
			sbuf_put(&b, "<span class=\"id\">");
			sbuf_html(&b, s->client);
			sbuf_put(&b, "</span></td>");
			cell(&b, NULL, L("Kết quả", "Verdict"));
			sbuf_put(&b, "%s</td></tr>", verdict_word(s->verdict, en));
		}
		sbuf_put(&b, "</tbody></table></div>");
	}
	if (c->after > 0 || c->next_after > 0) {
		sbuf_put(&b, "<p class=\"pager\">");
		if (c->after > 0) {
			sbuf_put(&b, "<a href=\"/dashboard/code?lang=%s&amp;code=", lang_code(en));
			sbuf_html(&b, c->short_id);
			sbuf_put(&b, "\">%s</a>", L("« Đầu tiên", "« First"));
		}
		if (c->next_after > 0) {
			sbuf_put(&b, "<a href=\"/dashboard/code?lang=%s&amp;code=", lang_code(en));
			sbuf_html(&b, c->short_id);
			sbuf_put(&b, "&amp;after=%" PRId64 "\">%s</a>", c->next_after,
				 L("Tiếp »", "Next »"));
		}
		sbuf_put(&b, "</p>");
	}
	sbuf_put(&b, "</section>");
	tail(&b);
	return sbuf_take(&b, out, len);
}
