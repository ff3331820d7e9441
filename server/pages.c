/* pages.c — HTML for buyers. */
#include "server/pages.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/sbuf.h"

enum tone { GREEN, AMBER, RED };

struct say {
	enum tone tone;
	const char *title[2]; /* vi, en */
	const char *body[2];
};

static const struct say says[V_COUNT] = {
    [V_GENUINE] = {GREEN,
		   {"Hàng chính hãng", "Genuine"},
		   {"Tem này do nhà sản xuất ký và đăng ký, và chưa có thiết bị nào khác quét mã "
		    "này.",
		    "This label was signed and registered by its producer, and no other device has "
		    "scanned it."}},
    [V_SEEN] =
	{AMBER,
	 {"Đã được quét trước đây", "Scanned before"},
	 {"Tem hợp lệ, nhưng đã được thiết bị khác quét trước bạn. Nếu bạn là người mua đầu "
	  "tiên, hãy hỏi người bán vì sao.",
	  "The label is valid, but other devices scanned it before you. If you are its first "
	  "buyer, ask the seller why."}},
    [V_DUPLICATE] = {RED,
		     {"Cảnh báo: tem có thể bị sao chép", "Warning: this label may be a copy"},
		     {"Mã này đã được quá nhiều thiết bị khác nhau quét. Tem thật chỉ gắn trên một "
		      "sản phẩm: rất có thể đây là tem sao chép. Cơ quan quản lý đã được báo.",
		      "Too many different devices have scanned this code. A real label sits on one "
		      "product only: this one has most likely been copied. The regulator has been "
		      "alerted."}},
    [V_UNREGISTERED] =
	{RED,
	 {"Mã chưa được đăng ký", "Code not registered"},
	 {"Chữ ký đúng, nhưng mã này không thuộc lô hàng nào nhà sản xuất đã đăng ký.",
	  "The signature is right, but the code belongs to no batch its producer "
	  "registered."}},
    [V_EXPIRED] = {AMBER,
		   {"Tem đã hết hạn", "Label expired"},
		   {"Tem thật, nhưng đã quá ngày sử dụng ghi trong mã.",
		    "The label is real, but past the last day its code allows."}},
    [V_REVOKED] = {RED,
		   {"Khóa nhà sản xuất đã bị thu hồi", "Producer key revoked"},
		   {"Khóa ký của nhà sản xuất này đã bị thu hồi trước khi lô hàng được đăng ký.",
		    "This producer's signing key was revoked before the batch was registered."}},
    [V_UNKNOWN_KEY] = {RED,
		       {"Nhà sản xuất không được công nhận", "Unknown producer"},
		       {"Mã được ký bằng một khóa không có trong danh sách tin cậy của tỉnh.",
			"The code is signed with a key that is not in the province's trust list."}},
    [V_INVALID] = {RED,
		   {"Tem giả", "Fake label"},
		   {"Chữ ký của mã không hợp lệ: tem này không do nhà sản xuất nào làm ra.",
		    "The code's signature does not verify: no producer made this label."}},
    [V_MALFORMED] = {RED,
		     {"Không phải mã tem", "Not a tem code"},
		     {"Nội dung quét được không phải là mã tem chống hàng giả.",
		      "What was scanned is not an anti-counterfeit tem code."}},
};

static const char *const colours[] = {"#1b7f3b", "#b26a00", "#b3261e"};

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
    "input{width:100%;box-sizing:border-box;font-size:1rem;padding:.6rem}"
    "button{font-size:1rem;padding:.6rem 1.2rem;margin-top:.6rem}"
    "footer{font-size:.85rem;color:#555;text-align:center}a{color:#0b57d0}";

static const char *const l10n_in_doubt[2] = {
    "Khi nghi ngờ: đừng mua, giữ lại sản phẩm và tem, chụp ảnh tem, và báo cho ",
    "When in doubt: do not buy, keep the product and its label, photograph the label, and tell "};

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

int pages_scan(const struct page_scan *s, enum lang lang, char **out, size_t *len)
{
	const struct say *say =
	    &says[s->verdict >= 0 && s->verdict < V_COUNT ? s->verdict : V_MALFORMED];
	int en = lang == LANG_EN;
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
	sbuf_html(&b, say->body[en]);
	sbuf_put(&b, "</p></div></section><dl>");
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
	row(&b, en ? "Label" : "Mã tem", s->short_id);
	if (s->scans > 0) {
		snprintf(t, sizeof t, en ? "%lld (by %lld device%s)" : "%lld (từ %lld thiết bị)",
			 (long long)s->scans, (long long)s->clients, s->clients == 1 ? "" : "s");
		row(&b, en ? "Scans so far" : "Số lần quét", t);
		local_time(s->first_scan_ms / 1000, lang, t, sizeof t);
		row(&b, en ? "First scan" : "Lần quét đầu", t);
	}
	sbuf_put(&b, "</dl><div class=\"box\">%s", l10n_in_doubt[en]);
	sbuf_html(&b, s->authority != NULL && s->authority[0] != '\0'
			  ? s->authority
			  : (en ? "the province's authority" : "cơ quan quản lý của tỉnh"));
	sbuf_put(&b, en ? ", giving the label number above.</div>" : ", kèm mã tem ở trên.</div>");
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
	sbuf_put(
	    &b,
	    "<form method=\"get\" action=\"/\"><input name=\"code\" autocomplete=\"off\" "
	    "autocapitalize=\"characters\" maxlength=\"600\" aria-label=\"%s\">"
	    "<input type=\"hidden\" name=\"lang\" value=\"%s\"><button>%s</button></form></div>"
	    "<footer><a href=\"?lang=%s\">%s</a></footer></main></body></html>\n",
	    en ? "code" : "mã", en ? "en" : "vi", en ? "Check" : "Kiểm tra", en ? "vi" : "en",
	    en ? "Tiếng Việt" : "English");
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
