/* label.c — `tem label`: a verified batch rendered as printable QR labels (PDF, SVG, PNG).
 * Codes are verified and QR-encoded on all cores a chunk at a time, then drawn in order into a
 * streamed surface, so memory does not grow with the batch. Output appears whole or not at
 * all: files through a temporary file and rename, directories through a temporary directory. */
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "keys/fileio.h"
#include "keys/sig.h"
#include "keys/text.h"
#include "label/batch.h"
#include "label/check.h"
#include "label/qr.h"
#include "label/render.h"

static const char usage[] =
    "usage: tem label BATCH -p PUB -o OUT [--layout tie|sticker|sheet] [--format pdf|svg|png]\n"
    "                 [--paper A4|Letter] [--label-size WxHmm] [--qr-size MM] [--ecc L|M|Q|H]\n"
    "                 [--dpi N] [--url BASE] [--min-module MM] [--max-version V] [--check]\n"
    "                 [--info] [-f] [-q] [--threads N]\n"
    "\n"
    "Renders every code of BATCH as a QR label pointing to BASE/C/CODE. The batch is verified\n"
    "first (BATCH.minisig and every code's signature, with the producer's key PUB): a tampered\n"
    "batch prints nothing.\n"
    "\n"
    "  --layout tie       15x60 mm strips for crab ties, packed on a page with cut marks "
    "(default)\n"
    "  --layout sticker   one label per page of the label's size, for roll label printers\n"
    "  --layout sheet     a grid of labels on A4 or Letter with cut marks\n"
    "  --format FMT       pdf, svg or png; default from OUT's extension. PNG is one image per\n"
    "                     label, SVG one file per page; several go into the directory OUT\n"
    "  --label-size WxH   label size in mm (tie 15x60, sticker 40x30, sheet 60x30)\n"
    "  --qr-size MM       QR side without its quiet zone (default: as large as fits)\n"
    "  --ecc L|M|Q|H      error correction (default M)\n"
    "  --dpi N            PNG and --check resolution (default 600)\n"
    "  --url BASE         verification base URL (default: the batch's)\n"
    "  --min-module MM    smallest module the printer renders (default 0.25)\n"
    "  --max-version V    refuse QR codes past version V\n"
    "  --check            read every label back (rasterised, decoded) before writing\n"
    "  --info             print the QR version and geometry\n";

#define CHUNK 256

struct item {
	struct tem_code code;        /* read from the batch */
	char url[CODE_URL_MAX];      /* what the QR says */
	char sid[CODE_SHORT_ID_MAX]; /* short id */
	struct qr qr;                /* encoded by a worker */
	int failed;                  /* 1 with err filled */
	struct tem_err err;          /* why it failed */
	int verified;                /* 1 when the signature verified */
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned gen; /* bumped for every chunk */
	int quit;
	struct item *items; /* current chunk */
	size_t n, next;     /* items in it; next to take */
	int busy;           /* workers still on the chunk */
	const struct tem_pubkey *pk;
	const char *base;
	enum qr_ecc ecc;
	int max_version;
	int nthreads;
};

/* Verifies, builds the URL and encodes the QR of one item. */
static void process(struct pool *p, struct item *it)
{
	if (code_verify(&it->code, p->pk, &it->err) != TEM_OK) {
		it->failed = 1;
		return;
	}
	it->verified = 1;
	code_short_id(&it->code, it->sid);
	if (code_to_url(&it->code, p->base, it->url, sizeof it->url, &it->err) != TEM_OK ||
	    qr_encode(it->url, p->ecc, p->max_version, &it->qr, &it->err) != 0)
		it->failed = 1;
}

/* Takes items of the current chunk until none is left. */
static void drain(struct pool *p)
{
	for (;;) {
		pthread_mutex_lock(&p->mu);
		size_t i = p->next < p->n ? p->next++ : p->n;
		pthread_mutex_unlock(&p->mu);
		if (i >= p->n)
			return;
		process(p, &p->items[i]);
	}
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	unsigned seen = 0;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->quit && p->gen == seen)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->quit) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		seen = p->gen;
		pthread_mutex_unlock(&p->mu);
		drain(p);
		pthread_mutex_lock(&p->mu);
		if (--p->busy == 0)
			pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
}

/* Hands a chunk to the workers; they start on it at once. */
static void chunk_start(struct pool *p, struct item *items, size_t n)
{
	pthread_mutex_lock(&p->mu);
	p->items = items;
	p->n = n;
	p->next = 0;
	p->busy = p->nthreads - 1;
	p->gen++;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Helps with what is left of the chunk in hand, then waits until every worker is done. */
static void chunk_wait(struct pool *p)
{
	drain(p);
	pthread_mutex_lock(&p->mu);
	while (p->busy > 0)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

/* Reads up to CHUNK codes of the batch into items: 1 with more to come, 0 at the end, -1 on
 * a read error. */
static int chunk_read(struct batch_reader *br, struct item *items, size_t *n, struct tem_err *err)
{
	int r = 1;

	*n = 0;
	while (*n < CHUNK && (r = batch_next(br, &items[*n].code, NULL, err)) == 1) {
		items[*n].failed = 0;
		items[*n].verified = 0;
		memset(&items[*n].qr, 0, sizeof items[*n].qr);
		(*n)++;
	}
	return r;
}

enum format { FMT_PDF, FMT_SVG, FMT_PNG };

struct out {
	enum format fmt;
	const char *path; /* OUT */
	int dir;          /* 1 when OUT is a directory of files */
	int force;
	char tmpdir[4096];     /* temporary directory while writing a directory */
	struct atomic_file af; /* the file being written */
	cairo_surface_t *surface;
	cairo_t *cr;
	int page_open;
	int pages;
	struct tem_err err; /* first write error */
	int failed;
	size_t used;                /* bytes waiting in buf */
	unsigned char buf[1 << 16]; /* cairo writes in small pieces: gathered here */
};

/* Writes what is gathered in the buffer to the file. */
static int out_flush(struct out *o)
{
	if (!o->failed && o->used > 0 && atomic_write(&o->af, o->buf, o->used, &o->err) != TEM_OK)
		o->failed = 1;
	o->used = 0;
	return o->failed ? TEM_ERR : TEM_OK;
}

static cairo_status_t write_cb(void *closure, const unsigned char *data, unsigned int len)
{
	struct out *o = closure;

	if (o->used + len > sizeof o->buf && out_flush(o) != TEM_OK)
		return CAIRO_STATUS_WRITE_ERROR;
	if (len > sizeof o->buf) {
		if (atomic_write(&o->af, data, len, &o->err) != TEM_OK)
			o->failed = 1;
	} else {
		memcpy(o->buf + o->used, data, len);
		o->used += len;
	}
	return o->failed ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void remove_tree(const char *path)
{
	nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Opens a vector surface (PDF, or one SVG page) writing to path through an atomic file. */
static int open_vector(struct out *o, const char *path, double w_mm, double h_mm)
{
	double w = w_mm * 72 / 25.4, h = h_mm * 72 / 25.4;

	if (atomic_open(&o->af, path, 0644, o->dir ? 1 : o->force, &o->err) != TEM_OK)
		return TEM_ERR;
	o->surface = o->fmt == FMT_PDF ? cairo_pdf_surface_create_for_stream(write_cb, o, w, h)
				       : cairo_svg_surface_create_for_stream(write_cb, o, w, h);
	if (cairo_surface_status(o->surface) != CAIRO_STATUS_SUCCESS) {
		atomic_abort(&o->af);
		return err_set(&o->err, "%s: cannot create the %s surface", path,
			       o->fmt == FMT_PDF ? "PDF" : "SVG");
	}
	if (o->fmt == FMT_PDF)
		cairo_pdf_surface_set_metadata(o->surface, CAIRO_PDF_METADATA_CREATOR, "tem");
	o->cr = cairo_create(o->surface);
	cairo_scale(o->cr, 72 / 25.4, 72 / 25.4);
	return TEM_OK;
}

/* Finishes the current vector surface and commits its file. */
static int close_vector(struct out *o)
{
	cairo_destroy(o->cr);
	o->cr = NULL;
	cairo_surface_finish(o->surface);
	cairo_status_t st = cairo_surface_status(o->surface);
	cairo_surface_destroy(o->surface);
	o->surface = NULL;
	out_flush(o);
	if (o->failed || st != CAIRO_STATUS_SUCCESS) {
		atomic_abort(&o->af);
		if (!o->failed)
			err_set(&o->err, "%s: %s", o->af.path, cairo_status_to_string(st));
		return TEM_ERR;
	}
	return atomic_commit(&o->af, &o->err);
}

/* Path of the n-th file inside the output directory. */
static void dir_file(struct out *o, const char *name, const char *ext, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%s.%s", o->tmpdir, name, ext);
}

/* Draws one label into the output: the next slot of the current page, or its own PNG. */
static int out_label(struct out *o, const struct label_geom *g, struct label_art *art, int index,
		     const struct qr *q, const char *short_id)
{
	int per_page = g->cols * g->rows, slot = index % per_page;
	double x, y;
	char path[4300], name[32];

	if (slot == 0) {
		if (o->page_open) {
			label_draw_cut_marks(o->cr, g);
			if (o->fmt == FMT_PDF) {
				cairo_show_page(o->cr);
			} else if (close_vector(o) != TEM_OK) {
				return TEM_ERR;
			}
		}
		if (o->fmt == FMT_SVG && (o->dir || o->pages == 0) && o->cr == NULL) {
			snprintf(name, sizeof name, "page-%04d", o->pages + 1);
			dir_file(o, name, "svg", path, sizeof path);
			if (open_vector(o, o->dir ? path : o->path, g->page_w, g->page_h) != TEM_OK)
				return TEM_ERR;
		}
		o->page_open = 1;
		o->pages++;
	}
	label_slot(g, slot, &x, &y);
	label_art_draw(art, o->cr, x, y, q, short_id);
	return o->failed ? TEM_ERR : TEM_OK;
}

/* Writes one label as its own PNG at dpi. */
static int out_png(struct out *o, const struct label_geom *g, struct label_art *art, int dpi,
		   const struct qr *q, const char *short_id)
{
	int w = (int)(g->spec.label_w / 25.4 * dpi + 0.5),
	    h = (int)(g->spec.label_h / 25.4 * dpi + 0.5);
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
	cairo_t *cr = cairo_create(s);
	char path[4300];
	cairo_status_t st;

	/* white to the last pixel: the label's edge rarely falls on a pixel boundary */
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_scale(cr, dpi / 25.4, dpi / 25.4);
	label_art_draw(art, cr, 0, 0, q, short_id);
	cairo_destroy(cr);
	dir_file(o, short_id, "png", path, sizeof path);
	if (atomic_open(&o->af, o->dir ? path : o->path, 0644, o->dir ? 1 : o->force, &o->err) !=
	    TEM_OK) {
		cairo_surface_destroy(s);
		return TEM_ERR;
	}
	st = cairo_surface_write_to_png_stream(s, write_cb, o);
	cairo_surface_destroy(s);
	out_flush(o);
	if (st != CAIRO_STATUS_SUCCESS || o->failed) {
		atomic_abort(&o->af);
		if (!o->failed)
			err_set(&o->err, "%s: %s", o->af.path, cairo_status_to_string(st));
		return TEM_ERR;
	}
	return atomic_commit(&o->af, &o->err);
}

/* Commits the output: closes the last page, renames a finished directory into place. */
static int out_finish(struct out *o, const struct label_geom *g)
{
	if (o->fmt != FMT_PNG && o->cr != NULL) {
		label_draw_cut_marks(o->cr, g);
		if (close_vector(o) != TEM_OK)
			return TEM_ERR;
	}
	if (o->dir) {
		struct stat st;
		if (lstat(o->path, &st) == 0) {
			if (!o->force)
				return err_set(&o->err, "%s: already exists (use -f to overwrite)",
					       o->path);
			remove_tree(o->path);
		}
		if (rename(o->tmpdir, o->path) != 0)
			return err_set(&o->err, "%s: %s", o->path, strerror(errno));
		o->tmpdir[0] = '\0';
	}
	return TEM_OK;
}

static void out_abort(struct out *o)
{
	if (o->cr != NULL)
		cairo_destroy(o->cr);
	if (o->surface != NULL) {
		o->failed = 1; /* the stream refuses further writes */
		cairo_surface_finish(o->surface);
		cairo_surface_destroy(o->surface);
	}
	atomic_abort(&o->af);
	if (o->tmpdir[0] != '\0')
		remove_tree(o->tmpdir);
}

int cmd_label(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"layout", required_argument, NULL, 'L'},
					     {"format", required_argument, NULL, 'F'},
					     {"paper", required_argument, NULL, 'A'},
					     {"label-size", required_argument, NULL, 'S'},
					     {"qr-size", required_argument, NULL, 'Q'},
					     {"ecc", required_argument, NULL, 'E'},
					     {"dpi", required_argument, NULL, 'D'},
					     {"url", required_argument, NULL, 'U'},
					     {"min-module", required_argument, NULL, 'M'},
					     {"max-version", required_argument, NULL, 'V'},
					     {"check", no_argument, NULL, 'C'},
					     {"info", no_argument, NULL, 'I'},
					     {"threads", required_argument, NULL, 'T'},
					     {NULL, 0, NULL, 0}};
	const char *pub = NULL, *outp = NULL, *fmt_name = NULL, *url = NULL, *layout = "tie";
	const char *paper = NULL, *lsize = NULL;
	struct label_spec spec;
	struct label_geom g;
	struct out o;
	struct pool p;
	struct tem_pubkey pk;
	struct tem_err err;
	struct batch_reader *br = NULL;
	struct item *items = NULL;
	struct label_checker *ck = NULL;
	struct label_art *art = NULL;
	int inflight = 0;
	pthread_t th[64];
	int nth = 0, started = 0, force = 0, quiet = 0, check = 0, info = 0, c, rc = EXIT_USAGE;
	double dpi = 600;
	uint64_t num;
	int ecc = QR_ECC_M, max_version = 0, total = 0;
	struct progress prog;

	memset(&spec, 0, sizeof spec);
	memset(&o, 0, sizeof o);
	memset(&p, 0, sizeof p);
	o.af.fd = -1;
#ifdef M_TRIM_THRESHOLD
	/* libqrencode allocates and frees some kilobytes for each symbol on every thread; by
	 * default glibc hands the heap top back to the kernel whenever it shrinks, and each such
	 * brk costs a TLB shootdown on every core (a third of the run time, measured by perf) */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
	while ((c = getopt_long(argc, argv, "p:o:fqh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pub = optarg;
			break;
		case 'o':
			outp = optarg;
			break;
		case 'f':
			force = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'L':
			layout = optarg;
			break;
		case 'F':
			fmt_name = optarg;
			break;
		case 'A':
			paper = optarg;
			break;
		case 'S':
			lsize = optarg;
			break;
		case 'Q':
			if (text_parse_decimal(optarg, 5, 500, &spec.qr_mm) != TEM_OK)
				return cli_usage_error("label",
						       "--qr-size: not a size from 5 to 500 mm");
			break;
		case 'E':
			if ((ecc = qr_ecc_parse(optarg)) < 0)
				return cli_usage_error("label", "--ecc: L, M, Q or H");
			break;
		case 'D':
			if (text_parse_decimal(optarg, 72, 2400, &dpi) != TEM_OK)
				return cli_usage_error("label",
						       "--dpi: a resolution from 72 to 2400");
			break;
		case 'U':
			url = optarg;
			break;
		case 'M':
			if (text_parse_decimal(optarg, 0.05, 5, &spec.min_module) != TEM_OK)
				return cli_usage_error("label",
						       "--min-module: a size from 0.05 to 5 mm");
			break;
		case 'V':
			if (text_parse_u64(optarg, 1, 40, &num) != TEM_OK)
				return cli_usage_error("label",
						       "--max-version: a QR version from 1 to 40");
			max_version = (int)num;
			break;
		case 'C':
			check = 1;
			break;
		case 'I':
			info = 1;
			break;
		case 'T':
			if (text_parse_u64(optarg, 1, 64, &num) != TEM_OK)
				return cli_usage_error("label", "--threads: a number from 1 to 64");
			nth = (int)num;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return cli_usage_error("label", "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("label", "give exactly one batch file");
	if (pub == NULL)
		return cli_usage_error("label", "-p PUB is needed: labels are printed only from a "
						"verified batch");
	if (outp == NULL && !info)
		return cli_usage_error("label", "-o OUT is needed");
	if ((int)(spec.kind = (enum layout_kind)layout_parse(layout)) < 0)
		return cli_usage_error("label", "unknown layout '%s' (tie, sticker or sheet)",
				       layout);
	if (paper != NULL && paper_parse(paper, &spec.page_w, &spec.page_h, &err) != TEM_OK)
		return cli_fail(&err);
	if (lsize != NULL && size_parse(lsize, &spec.label_w, &spec.label_h, &err) != TEM_OK)
		return cli_fail(&err);
	if (outp != NULL) {
		const char *ext = strrchr(outp, '.');
		const char *f = fmt_name != NULL ? fmt_name : (ext != NULL ? ext + 1 : "");
		if (strcasecmp(f, "pdf") == 0)
			o.fmt = FMT_PDF;
		else if (strcasecmp(f, "svg") == 0)
			o.fmt = FMT_SVG;
		else if (strcasecmp(f, "png") == 0)
			o.fmt = FMT_PNG;
		else
			return cli_usage_error("label",
					       "format '%s' is not pdf, svg or png (give "
					       "--format or an OUT ending in one)",
					       f);
		o.path = outp;
		o.force = force;
	}
	if (keys_init(&err) != TEM_OK || label_fonts_check(&err) != TEM_OK ||
	    keys_public_load(pub, &pk, &err) != TEM_OK)
		return cli_fail(&err);

	/* the whole file's signature first: a tampered batch draws nothing */
	{
		char sp[SIG_PATH_MAX];
		const char *sigpath = sig_path(argv[optind], NULL, sp, &err);
		int r = sigpath == NULL
			    ? TEM_ERR
			    : sig_verify_file(argv[optind], sigpath, &pk, NULL, 0, &err);
		if (r == TEM_NO) {
			cli_warn("%s", err.msg);
			return EXIT_NO;
		}
		if (r != TEM_OK)
			return cli_fail(&err);
	}
	if (batch_open(argv[optind], &br, &err) != TEM_OK)
		return cli_fail(&err);
	const struct batch_header *h = batch_reader_header(br);
	if (batch_header_verify(h, &pk, &err) != TEM_OK) {
		cli_warn("%s: %s", argv[optind], err.msg);
		batch_close(br);
		return EXIT_NO;
	}
	p.base = url != NULL ? url : h->url;
	if (p.base[0] == '\0') {
		batch_close(br);
		return cli_usage_error("label",
				       "the batch has no verification URL: give --url BASE");
	}
	/* every URL of a batch has the same length, so one sample fixes the QR version */
	{
		struct tem_code sample;
		struct qr q;
		char su[CODE_URL_MAX];
		memset(&sample, 0, sizeof sample);
		sample.version = CODE_VERSION;
		if (code_to_url(&sample, p.base, su, sizeof su, &err) != TEM_OK ||
		    qr_encode(su, (enum qr_ecc)ecc, max_version, &q, &err) != 0 ||
		    (qr_free(&q), label_plan(&spec, q.width, &g, &err)) != TEM_OK) {
			batch_close(br);
			return cli_fail(&err);
		}
		total = (int)h->count;
		if (info) {
			int per = g.cols * g.rows;
			printf("QR version %d, %d modules a side (+%d quiet zone), ECC %c\n"
			       "module %.3f mm, QR %.1f mm (%.1f mm with quiet zone)\n"
			       "label %.1fx%.1f mm, %d a page, %d page(s) of %.1fx%.1f mm\n"
			       "grid %dx%d, first label at %.2f,%.2f mm\n",
			       q.version, q.width, 2 * QR_QUIET, "LMQH"[ecc], g.module,
			       g.module * q.width, g.qr_block, g.spec.label_w, g.spec.label_h, per,
			       (total + per - 1) / per, g.page_w, g.page_h, g.cols, g.rows, g.x0,
			       g.y0);
			if (outp == NULL) {
				batch_close(br);
				return 0;
			}
		}
	}
	/* PNG: a file per label; SVG: a file per page; several go into a directory */
	o.dir = (o.fmt == FMT_PNG && total > 1) || (o.fmt == FMT_SVG && total > g.cols * g.rows);
	if (!force && access(outp, F_OK) == 0) {
		batch_close(br);
		cli_warn("%s: already exists (use -f to overwrite)", outp);
		return EXIT_USAGE;
	}
	if (o.dir) {
		if (snprintf(o.tmpdir, sizeof o.tmpdir, "%s.tmp-XXXXXX", outp) >=
			(int)sizeof o.tmpdir ||
		    mkdtemp(o.tmpdir) == NULL) {
			cli_warn("%s: cannot create a directory: %s", outp, strerror(errno));
			o.tmpdir[0] = '\0';
			batch_close(br);
			return EXIT_USAGE;
		}
	} else if (o.fmt == FMT_PDF) {
		if (open_vector(&o, outp, g.page_w, g.page_h) != TEM_OK) {
			batch_close(br);
			return cli_fail(&o.err);
		}
	}
	if (check && (ck = label_checker_new(&g, (int)dpi)) == NULL) {
		cli_warn("out of memory");
		goto out;
	}

	/* two chunks: the workers verify and encode one while this thread draws the other */
	items = calloc(2 * CHUNK, sizeof *items);
	{
		char widest[CODE_SHORT_ID_MAX];
		struct tem_code last;
		memset(&last, 0, sizeof last);
		memcpy(last.key_id, h->key_id, sizeof last.key_id);
		last.serial = h->first_serial + h->count - 1;
		code_short_id(&last, widest);
		struct label_text t = {widest, h->producer, h->product};
		art = label_art_new(&g, &t, o.fmt == FMT_SVG ? LABEL_QR_PATH : LABEL_QR_IMAGE);
	}
	if (items == NULL || art == NULL) {
		cli_warn("out of memory");
		goto out;
	}
	if (nth == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		nth = n > 0 ? (n > 64 ? 64 : (int)n) : 1;
	}
	p.nthreads = nth;
	p.pk = &pk;
	p.ecc = (enum qr_ecc)ecc;
	p.max_version = max_version;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	for (; started < nth - 1; started++)
		if (pthread_create(&th[started], NULL, worker, &p) != 0)
			break;
	p.nthreads = started + 1;
	progress_start(&prog, "labels", (uint64_t)total, quiet);

	int done = 0, cur = 0, more;
	size_t n[2] = {0, 0};
	more = chunk_read(br, items, &n[0], &err);
	if (more < 0) {
		cli_fail(&err);
		goto out_pool;
	}
	chunk_start(&p, items, n[0]);
	chunk_wait(&p);
	for (;;) {
		struct item *chunk = items + cur * CHUNK, *next = items + (1 - cur) * CHUNK;
		if (more == 1) {
			more = chunk_read(br, next, &n[1 - cur], &err);
			if (more < 0) {
				cli_fail(&err);
				goto out_pool;
			}
			chunk_start(&p, next, n[1 - cur]);
			inflight = 1;
		}
		for (size_t i = 0; i < n[cur]; i++) {
			struct item *it = &chunk[i];
			if (it->failed) {
				cli_warn("%s: code %d (line %d): %s%s", argv[optind], done + 1,
					 done + 13,
					 it->verified ? "" : "does not verify: ", it->err.msg);
				rc = it->verified ? EXIT_USAGE : EXIT_NO;
				goto out_pool;
			}
			if (it->qr.width != g.qr_width) {
				cli_warn("%s: code %d gives a QR of another size", argv[optind],
					 done + 1);
				goto out_pool;
			}
			if (ck != NULL &&
			    label_check(ck, art, &it->qr, it->sid, it->url, &err) != TEM_OK) {
				cli_warn("--check: %s", err.msg);
				rc = EXIT_NO;
				goto out_pool;
			}
			int w = o.fmt == FMT_PNG ? out_png(&o, &g, art, (int)dpi, &it->qr, it->sid)
						 : out_label(&o, &g, art, done, &it->qr, it->sid);
			if (w != TEM_OK) {
				cli_fail(&o.err);
				goto out_pool;
			}
			done++;
		}
		for (size_t i = 0; i < n[cur]; i++)
			qr_free(&chunk[i].qr);
		progress_update(&prog, (uint64_t)done);
		if (!inflight)
			break;
		chunk_wait(&p);
		inflight = 0;
		cur = 1 - cur;
	}
	progress_end(&prog, (uint64_t)done);
	if (out_finish(&o, &g) != TEM_OK) {
		cli_fail(&o.err);
		goto out_pool;
	}
	if (!quiet)
		fprintf(stderr, "%d labels%s, %d per page, QR version %d, module %.2f mm -> %s\n",
			done, ck != NULL ? " (each read back)" : "", g.cols * g.rows,
			(g.qr_width - 17) / 4, g.module, outp);
	rc = 0;
out_pool:
	if (inflight)
		chunk_wait(&p);
	pthread_mutex_lock(&p.mu);
	p.quit = 1;
	pthread_cond_broadcast(&p.cv);
	pthread_mutex_unlock(&p.mu);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
	if (items != NULL)
		for (size_t i = 0; i < 2 * CHUNK; i++)
			qr_free(&items[i].qr);
out:
	if (rc != 0)
		out_abort(&o);
	free(items);
	label_art_free(art);
	label_checker_free(ck);
	batch_close(br);
	return rc;
}
