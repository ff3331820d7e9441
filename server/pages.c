/* pages.c — HTML for buyers. */
#include "server/pages.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/sbuf.h"

enum tone { GREEN, AMBER, RED };

/* What a page says for each verdict, in plain words (no "key", "signature" or "trust list":
 * what it means for the person holding the product). In body, "{}" stands for the value the
 * verdict names (the producer, or a date), escaped when drawn; the text before "{|" and after
 * "|}" is the variant used when that value is unknown. */
struct say {
	enum tone tone;
	const char *title[2]; /* vi, en */
	const char *body[2];  /* one or two sentences */
};

static const struct say says[V_COUNT] = {
    [V_GENUINE] = {GREEN,
		   {"Hàng chính hãng", "Genuine"},
		   {"Tem thật, do nhà sản xuất làm ra và đã khai báo với cơ quan quản lý. Chưa có "
		    "ai khác quét mã này trước bạn.",
		    "A real label, made by its producer and declared to the authority. Nobody else "
		    "has scanned it before you."}},
    [V_SEEN] = {AMBER,
		{"Đã có người quét mã này", "Scanned before"},
		{"Tem thật, nhưng mã đã được quét từ nơi khác trước bạn (xem bên dưới). Người "
		 "bán hoặc người giao hàng có thể đã quét.",
		 "A real label, but it was scanned from elsewhere before you (see below). The "
		 "seller or a courier may have scanned it."}},
    /* amber, not red: many places before the buyer is what a copy looks like, and also what
     * a busy stall looks like (docs/verdicts.md); the PIN decides, where the label has one */
    [V_DUPLICATE] = {AMBER,
		     {"Cảnh báo: tem có thể bị sao chép", "Warning: this label may be a copy"},
		     {"Mã này đã được quét từ nhiều nơi khác nhau trước bạn. Một tem thật chỉ gắn "
		      "trên một sản phẩm, nên tem này có thể là bản sao; cũng có thể nhiều người "
		      "đã xem thử sản phẩm này. Cơ quan quản lý đã được báo.",
		      "This code was scanned from many different places before you. A real label "
		      "sits on one product only, so this one may be a copy; or several shoppers "
		      "may have checked this product. The authority has been told."}},
    [V_SOLD] = {RED,
		{"Sản phẩm đã được bán", "Already sold"},
		{"Sản phẩm này đã được bán ngày {}: nếu bạn đang mua nó, tem đã bị sao chép.",
		 "This product was sold on {}: if you are buying it now, its label has been "
		 "copied."}},
    [V_UNREGISTERED] = {RED,
			{"Mã chưa được khai báo", "Code not declared"},
			{"Mã này mang tên {}, nhưng không thuộc lô hàng nào nhà sản xuất đã khai "
			 "báo với cơ quan quản lý. Đừng coi đây là hàng chính hãng.",
			 "This code carries the name of {}, but belongs to no batch the producer "
			 "declared to the authority. Do not take it for genuine."}},
    [V_EXPIRED] = {AMBER,
		   {"Tem đã hết hạn", "Label expired"},
		   {"Tem thật, nhưng đã quá hạn dùng ghi trên tem (xem bên dưới). Với hàng tươi "
		    "sống như cua, đây có thể là tem cũ bị dùng lại.",
		    "A real label, but past the last day it carries (see below). For fresh goods "
		    "such as crabs, it may be an old label used again."}},
    [V_REVOKED] = {RED,
		   {"Nhà sản xuất đã bị ngừng công nhận", "Producer no longer recognised"},
		   {"Cơ quan quản lý đã ngừng công nhận tem của nhà sản xuất này từ ngày {}, và mã "
		    "này không thuộc lô hàng nào khai báo trước ngày đó.",
		    "The authority stopped recognising this producer's labels on {}, and this "
		    "code belongs to no batch declared before that day."}},
    [V_UNKNOWN_KEY] = {RED,
		       {"Nhà sản xuất không được công nhận", "Producer not recognised"},
		       {"Tem này không do nhà sản xuất nào được cơ quan quản lý công nhận làm ra.",
			"This label was not made by any producer the authority recognises."}},
    [V_INVALID] = {RED,
		   {"Tem giả", "Fake label"},
		   {"Tem này mạo danh {}{|một nhà sản xuất|}: đây là tem giả, không do nhà sản "
		    "xuất làm ra.",
		    "This label impersonates {}{|a producer|}: it is fake, the producer did not "
		    "make it."}},
    [V_MALFORMED] = {RED,
		     {"Không phải mã tem", "Not a tem code"},
		     {"Nội dung quét được không phải là mã tem chống hàng giả.",
		      "What was scanned is not an anti-counterfeit tem code."}},
};

/* white text on each reaches WCAG's 4.5:1 (5.1, 5.4 and 6.5 to 1) */
static const char *const colours[] = {"#1b7f3b", "#9a5b00", "#b3261e"};

/* inline icons: a tick, an exclamation mark, a cross */
static const char *const icons[] = {
    "<path d=\"M7 13l3 3 7-8\" fill=\"none\" stroke=\"#fff\" stroke-width=\"2.5\"/>",
    "<path d=\"M12 6v8M12 16.5v2\" fill=\"none\" stroke=\"#fff\" stroke-width=\"2.5\"/>",
    "<path d=\"M8 8l8 8M16 8l-8 8\" fill=\"none\" stroke=\"#fff\" stroke-width=\"2.5\"/>",
};

static const char css[] =
    "body{margin:0;font-family:system-ui,-apple-system,'Noto Sans',sans-serif;"
    "background:#f4f4f2;color:#1c1c1c;line-height:1.45}"
    "main{max-width:34rem;margin:0 auto;padding:1rem}"
    ".v{color:#fff;border-radius:.8rem;padding:1.2rem;display:flex;gap:1rem;align-items:center}"
    ".v svg{flex:none;width:3.5rem;height:3.5rem}"
    ".v h1{font-size:1.6rem;margin:0}"
    "dl{background:#fff;border-radius:.8rem;padding:1rem;margin:1rem 0}"
    "dt{font-size:.85rem;color:#555}dd{margin:0 0 .6rem 0;font-size:1.05rem;word-break:break-word}"
    ".box{background:#fff;border-radius:.8rem;padding:1rem;margin:1rem 0}"
    ".act{border-left:.35rem solid #1c1c1c}"
    "input{width:100%;box-sizing:border-box;font-size:1rem;padding:.6rem}"
    "button{font-size:1rem;padding:.6rem 1.2rem;margin-top:.6rem}"
    "footer{font-size:.85rem;color:#555;text-align:center}a{color:#0b57d0}";

/* What to do, by tone: one instruction that never contradicts the verdict above it; PIN_FIRST
 * for a possible copy whose label has a PIN no one has used, which decides it. */
enum { PIN_FIRST = RED + 1 };
static const char *const l10n_act[4][2] = {
    [GREEN] = {"Thấy điều gì đáng ngờ? Hãy báo cho ", "Something looks wrong? Tell "},
    [AMBER] = {"Nếu bạn còn nghi ngờ, đừng mua: hỏi người bán, hoặc báo cho ",
	       "If you still have doubts, do not buy: ask the seller, or tell "},
    [RED] = {"Đừng mua sản phẩm này. Nếu đã mua: giữ lại sản phẩm và tem, chụp ảnh tem, và "
	     "báo cho ",
	     "Do not buy this product. If you already have: keep the product and its label, "
	     "photograph the label, and tell "},
    [PIN_FIRST] = {"Trước khi trả tiền, hãy cào lớp phủ của tem và nhập mã mua hàng vào ô bên "
		   "dưới: mã đúng nghĩa là tem thật và sản phẩm thuộc về bạn. Nếu mã sai, đừng "
		   "mua, và báo cho ",
		   "Before you pay, scratch the label's panel and type its PIN below: a right PIN "
		   "means the label is real and the product is yours. If it is wrong, do not buy, "
		   "and tell "},
};

static void head(struct sbuf *b, enum lang lang, const char *title)
{
	sbuf_put(b,
		 "<!doctype html><html lang=\"%s\"><head><meta charset=\"utf-8\">"
		 "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
		 "<meta name=\"robots\" content=\"noindex\"><title>",
		 lang == LANG_EN ? "en" : "vi");
	sbuf_html(b, title);
	sbuf_put(b, " · tem</title><style>%s</style></head><body><main>", css);
}

/* Formats a Unix time in Ho Chi Minh City time (UTC+7 all year). */
static void local_time(int64_t unix_s, enum lang lang, char *out, size_t cap)
{
	time_t t = (time_t)(unix_s + 7 * 3600);
	struct tm tm;

	gmtime_r(&t, &tm);
	if (lang == LANG_EN)
		strftime(out, cap, "%Y-%m-%d %H:%M (UTC+7)", &tm);
	else
		strftime(out, cap, "%H:%M ngày %d/%m/%Y", &tm);
}

static void local_day(int32_t day, enum lang lang, char *out, size_t cap)
{
	time_t t = (time_t)day * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, cap, lang == LANG_EN ? "%Y-%m-%d" : "%d/%m/%Y", &tm);
}

static void row(struct sbuf *b, const char *label, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return;
	sbuf_put(b, "<dt>%s</dt><dd>", label);
	sbuf_html(b, value);
	sbuf_put(b, "</dd>");
}

/* Writes a say's body with "{}" replaced by value (escaped); "{|...|}" is written instead
 * when value is NULL or empty. */
static void body(struct sbuf *b, const char *text, const char *value)
{
	const char *mark = strstr(text, "{}");
	const char *alt = mark != NULL ? strstr(mark, "{|") : NULL;
	const char *alt_end = alt != NULL ? strstr(alt, "|}") : NULL;
	int have = value != NULL && value[0] != '\0';

	if (mark == NULL) {
		sbuf_html(b, text);
		return;
	}
	sbuf_htmln(b, text, (size_t)(mark - text));
	if (have || alt == NULL || alt_end == NULL)
		sbuf_html(b, have ? value : "");
	else
		sbuf_htmln(b, alt + 2, (size_t)(alt_end - alt - 2));
	sbuf_html(b, alt_end != NULL ? alt_end + 2 : mark + 2);
}

/* The "what to do" box: who to tell (the authority from the trust list) and how to reach them
 * (temd --contact). */
static void act(struct sbuf *b, const struct page_scan *s, int what, int en)
{
	sbuf_put(b, "<div class=\"box act\">%s", l10n_act[what][en]);
	sbuf_html(b, s->authority != NULL && s->authority[0] != '\0'
			 ? s->authority
			 : (en ? "the province's authority" : "cơ quan quản lý của tỉnh"));
	sbuf_put(b, en ? ", giving the label number %s." : ", kèm mã tem %s.",
		 en ? "below" : "bên dưới");
	if (s->contact != NULL && s->contact[0] != '\0') {
		sbuf_put(b, "<br><strong>%s</strong> ", en ? "Contact:" : "Liên hệ:");
		sbuf_html(b, s->contact);
	}
	sbuf_put(b, "</div>");
}

/* 1 when the code is a real one of a recognised producer, so the batch's facts describe the
 * product in hand; a forged or unknown code shows none of them, not even the producer it
 * names. */
static int shows_facts(enum verdict v)
{
	return v == V_GENUINE || v == V_SEEN || v == V_DUPLICATE || v == V_EXPIRED ||
	       v == V_REVOKED || v == V_SOLD;
}

static const char *const claim_notices[][2] = {
    [PAGE_CLAIMED] = {"Đã xác nhận: bạn là người mua sản phẩm này. Ai quét mã sau bạn sẽ thấy "
		      "sản phẩm đã được bán.",
		      "Done: you are now this product's buyer. Anyone who scans it after you will "
		      "see it was sold."},
    [PAGE_CLAIM_YOURS] = {"Bạn đã xác nhận mua sản phẩm này trước đây.",
			  "You had already claimed this product."},
    [PAGE_CLAIM_TAKEN] = {"Mã mua hàng đúng, nhưng sản phẩm đã được người khác xác nhận mua "
			  "trước: tem có thể đã bị sao chép.",
			  "The PIN is right, but someone else claimed this product before you: "
			  "the label may have been copied."},
    [PAGE_CLAIM_WRONG] = {"Mã mua hàng không đúng. Hãy kiểm tra lại số in trong phần cào của "
			  "tem.",
			  "Wrong PIN. Check the number printed under the scratch-off panel."},
    [PAGE_CLAIM_LIMIT] = {"Đã nhập sai quá nhiều lần. Hãy thử lại sau.",
			  "Too many wrong PINs. Please try again later."},
    [PAGE_CLAIM_REAL] = {"Mã mua hàng đúng: tem này là tem thật.",
			 "The PIN is right: this label is real."},
    [PAGE_CLAIM_NO_PINS] = {"Tem này không có mã mua hàng.", "This label has no PIN."},
};

const char *pages_claim_notice(enum page_claim c, enum lang lang)
{
	if (c < PAGE_CLAIMED || c > PAGE_CLAIM_NO_PINS)
		c = PAGE_CLAIM_WRONG;
	return claim_notices[c][lang == LANG_EN];
}

/* The "I bought this product" form: the PIN (digits; spaces and dashes allowed), posted to
 * this page's own URL, or with the typed fallback's short id to "/". */
static void claim_form(struct sbuf *b, const struct page_scan *s, int en)
{
	sbuf_put(b,
		 "<form class=\"box\" method=\"post\"%s><h2 style=\"margin-top:0\">%s</h2>"
		 "<p>%s</p>",
		 s->form_id != NULL ? " action=\"/\"" : "",
		 en ? "I bought this product" : "Tôi đã mua sản phẩm này",
		 en ? "Type the PIN printed under the label's scratch-off panel. Anyone who scans "
		      "the label after you will then see it was sold."
		    : "Nhập mã mua hàng in dưới lớp cào của tem. Sau đó, ai quét mã sẽ thấy sản "
		      "phẩm đã được bán.");
	if (s->form_id != NULL) {
		sbuf_put(b, "<input type=\"hidden\" name=\"id\" value=\"");
		sbuf_html(b, s->form_id);
		sbuf_put(b, "\"><input type=\"hidden\" name=\"claim\" value=\"1\">");
	}
	sbuf_put(b,
		 "<input name=\"pin\" inputmode=\"numeric\" autocomplete=\"off\" "
		 "maxlength=\"20\" aria-label=\"%s\"><input type=\"hidden\" name=\"lang\" "
		 "value=\"%s\"><button>%s</button></form>",
		 en ? "PIN" : "Mã mua hàng", en ? "en" : "vi", en ? "Claim" : "Xác nhận");
}

/* The claim facts and notice: a claim attempt's result first, then the claimer's note. */
static void claim_notes(struct sbuf *b, const struct page_scan *s, enum lang lang)
{
	int en = lang == LANG_EN;
	char t[64];

	if (s->notice != NULL && s->notice[0] != '\0') {
		sbuf_put(b,
			 "<div class=\"box\" role=\"status\" style=\"border-left:.35rem solid "
			 "%s\"><strong>",
			 colours[s->notice_bad ? RED : GREEN]);
		sbuf_html(b, s->notice);
		sbuf_put(b, "</strong></div>");
	}
	if (s->claimed_ms > 0 && s->claimed_yours) {
		local_time(s->claimed_ms / 1000, lang, t, sizeof t);
		sbuf_put(b, "<div class=\"box\" style=\"border-left:.35rem solid %s\">%s",
			 colours[GREEN],
			 en ? "You claimed this product on "
			    : "Bạn đã xác nhận mua sản phẩm này lúc ");
		sbuf_html(b, t);
		sbuf_put(b, ".</div>");
	}
}

int pages_scan(const struct page_scan *s, enum lang lang, char **out, size_t *len)
{
	enum verdict v = s->verdict >= 0 && s->verdict < V_COUNT ? s->verdict : V_MALFORMED;
	const struct say *say = &says[v];
	int en = lang == LANG_EN;
	int form = s->claimable && s->claimed_ms == 0 &&
		   (v == V_GENUINE || v == V_SEEN || v == V_DUPLICATE);
	int pin_first = form && v == V_DUPLICATE; /* the PIN decides: asked for first */
	struct sbuf b;
	char t[64];

	if (sbuf_init(&b, 8192) != 0)
		return -1;
	head(&b, lang, say->title[en]);
	sbuf_put(
	    &b,
	    "<section class=\"v\" style=\"background:%s\"><svg viewBox=\"0 0 24 24\" "
	    "aria-hidden=\"true\"><circle cx=\"12\" cy=\"12\" r=\"11\" fill=\"rgba(0,0,0,.18)\"/>"
	    "%s</svg><div><h1>",
	    colours[say->tone], icons[say->tone]);
	sbuf_html(&b, say->title[en]);
	sbuf_put(&b, "</h1><p style=\"margin:.3rem 0 0\">");
	t[0] = '\0';
	if (v == V_REVOKED && s->revoked > 0)
		local_day(s->revoked, lang, t, sizeof t);
	if (v == V_SOLD && s->claimed_ms > 0)
		local_time(s->claimed_ms / 1000, lang, t, sizeof t);
	body(&b, say->body[en], v == V_REVOKED || v == V_SOLD ? t : s->producer);
	sbuf_put(&b, "</p></div></section>");
	claim_notes(&b, s, lang);
	/* on amber and red pages what to do comes first, where a phone shows it unscrolled */
	if (say->tone != GREEN)
		act(&b, s, pin_first ? PIN_FIRST : (int)say->tone, en);
	if (pin_first)
		claim_form(&b, s, en);
	sbuf_put(&b, "<dl>");
	if (shows_facts(v)) {
		row(&b, en ? "Producer" : "Nhà sản xuất", s->producer);
		row(&b, en ? "Product" : "Sản phẩm", s->product);
		row(&b, en ? "Batch" : "Lô hàng", s->batch_id);
		if (s->issued > 0) {
			local_time(s->issued, lang, t, sizeof t);
			row(&b, en ? "Issued" : "Ngày phát hành", t);
		}
		if (s->last_day > 0) {
			local_day(s->last_day, lang, t, sizeof t);
			row(&b, en ? "Valid until" : "Hạn dùng đến", t);
		}
	}
	row(&b, en ? "Label number" : "Mã tem", s->short_id);
	if (s->scans > 0 && shows_facts(v)) {
		snprintf(t, sizeof t, en ? "%lld (from %lld place%s)" : "%lld (từ %lld nơi)",
			 (long long)s->scans, (long long)s->clients, s->clients == 1 ? "" : "s");
		row(&b, en ? "Scans so far" : "Số lần quét", t);
		local_time(s->first_scan_ms / 1000, lang, t, sizeof t);
		row(&b, en ? "First scan" : "Lần quét đầu", t);
	}
	sbuf_put(&b, "</dl>");
	if (form && !pin_first)
		claim_form(&b, s, en);
	if (say->tone == GREEN)
		act(&b, s, say->tone, en);
	sbuf_put(&b, "<footer><a href=\"?lang=%s\">%s</a> · <a href=\"/\">%s</a></footer>",
		 en ? "vi" : "en", en ? "Tiếng Việt" : "English",
		 en ? "Check another code" : "Kiểm tra mã khác");
	sbuf_put(&b, "</main></body></html>\n");
	return sbuf_take(&b, out, len);
}

int pages_home(enum lang lang, const char *message, char **out, size_t *len)
{
	int en = lang == LANG_EN;
	struct sbuf b;

	if (sbuf_init(&b, 4096) != 0)
		return -1;
	head(&b, lang, en ? "Check a label" : "Kiểm tra tem");
	sbuf_put(&b, "<h1>%s</h1><div class=\"box\"><p>%s</p>",
		 en ? "Check a label" : "Kiểm tra tem chống hàng giả",
		 en ? "Scan the QR code on the label with your phone's camera, or type the code "
		      "printed under it."
		    : "Quét mã QR trên tem bằng camera điện thoại, hoặc nhập mã in bên dưới.");
	if (message != NULL && message[0] != '\0') {
		sbuf_put(&b, "<p style=\"color:%s\"><strong>", colours[RED]);
		sbuf_html(&b, message);
		sbuf_put(&b, "</strong></p>");
	}
	sbuf_put(&b,
		 "<form method=\"get\" action=\"/\"><input name=\"code\" autocomplete=\"off\" "
		 "autocapitalize=\"characters\" maxlength=\"600\" aria-label=\"%s\">"
		 "<input type=\"hidden\" name=\"lang\" value=\"%s\"><button>%s</button></form>"
		 "</div>",
		 en ? "code" : "mã", en ? "en" : "vi", en ? "Check" : "Kiểm tra");
	/* the typed fallback: the number under the QR and the PIN of the scratch-off panel */
	sbuf_put(&b,
		 "<form class=\"box\" method=\"post\" action=\"/\"><p>%s</p>"
		 "<input name=\"id\" autocomplete=\"off\" autocapitalize=\"characters\" "
		 "maxlength=\"60\" placeholder=\"3F9A0C21D4E5B6A7-1042\" aria-label=\"%s\">"
		 "<input name=\"pin\" inputmode=\"numeric\" autocomplete=\"off\" maxlength=\"20\" "
		 "aria-label=\"%s\" placeholder=\"%s\"><label><input type=\"checkbox\" "
		 "name=\"claim\" value=\"1\" style=\"width:auto\"> %s</label>"
		 "<input type=\"hidden\" name=\"lang\" value=\"%s\"><button>%s</button></form>"
		 "<footer><a href=\"?lang=%s\">%s</a></footer></main></body></html>\n",
		 en ? "No camera? Type the label number printed under the QR code and the PIN from "
		      "under the scratch-off panel."
		    : "Không quét được? Nhập số tem in dưới mã QR và mã mua hàng dưới lớp cào.",
		 en ? "label number" : "số tem", en ? "PIN" : "mã mua hàng",
		 en ? "PIN" : "mã mua hàng",
		 en ? "I bought this product" : "Tôi đã mua sản phẩm này", en ? "en" : "vi",
		 en ? "Check" : "Kiểm tra", en ? "vi" : "en", en ? "Tiếng Việt" : "English");
	return sbuf_take(&b, out, len);
}

enum lang pages_lang(const char *query_lang, const char *accept_language)
{
	const char *p = accept_language;

	if (query_lang != NULL) {
		if (strcasecmp(query_lang, "en") == 0)
			return LANG_EN;
		if (strcasecmp(query_lang, "vi") == 0)
			return LANG_VI;
	}
	/* the first listed language of the two wins (browsers list by preference) */
	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		if (strncasecmp(p, "vi", 2) == 0 && (p[2] == '\0' || strchr("-;, ", p[2])))
			return LANG_VI;
		if (strncasecmp(p, "en", 2) == 0 && (p[2] == '\0' || strchr("-;, ", p[2])))
			return LANG_EN;
		p = strchr(p, ',');
	}
	return LANG_VI;
}
