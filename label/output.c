/* output.c — label files (label/output.h): streamed cairo PDF and SVG surfaces and PNG images,
 * written through keys/fileio.h's atomic files. cairo writes in small pieces: they are
 * gathered in a buffer so the file sees few large writes. */
#include "label/output.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys/fileio.h"
#include "label/render.h"

struct label_writer {
	enum label_format fmt;
	char path[4096];          /* OUT, trailing slashes taken off */
	int force;                /* may replace an existing OUT */
	int dir;                  /* 1 when OUT is a directory of files */
	int fill;                 /* 1 when OUT is an existing empty directory, to be filled */
	struct label_geom g;      /* geometry of every label */
	struct label_art *art;    /* draws them (the caller's) */
	int dpi;                  /* PNG resolution */
	char tmpdir[4096];        /* temporary directory while writing a directory, or "" */
	struct atomic_file af;    /* the file being written */
	cairo_surface_t *surface; /* the open PDF or SVG surface */
	cairo_t *cr;              /* drawing on it, user unit 1 mm */
	cairo_surface_t *png;     /* one label's image, reused */
	int page_open;            /* 1 once a page has a label */
	int pages;                /* pages begun */
	uint64_t labels;          /* labels written */
	int finished;             /* 1 once renamed into place */
	int failed;               /* a write failed: err holds why */
	struct tem_err err;       /* first write error (cairo's callback cannot return it) */
	size_t used;              /* bytes waiting in buf */
	unsigned char buf[1 << 16];
};

int label_format_parse(const char *s)
{
	if (strcasecmp(s, "pdf") == 0)
		return LABEL_FORMAT_PDF;
	if (strcasecmp(s, "svg") == 0)
		return LABEL_FORMAT_SVG;
	if (strcasecmp(s, "png") == 0)
		return LABEL_FORMAT_PNG;
	return -1;
}

int label_format_of_path(const char *path)
{
	char buf[256];
	size_t n = strlen(path);
	const char *base, *ext;

	while (n > 1 && path[n - 1] == '/')
		n--;
	base = path;
	for (size_t i = 0; i < n; i++)
		if (path[i] == '/' && i + 1 < n)
			base = path + i + 1;
	n -= (size_t)(base - path);
	if (n >= sizeof buf)
		return -1;
	memcpy(buf, base, n);
	buf[n] = '\0';
	ext = strrchr(buf, '.');
	/* "labels.png", or a folder named after its format ("png/") */
	return label_format_parse(ext != NULL ? ext + 1 : buf);
}

enum label_qr_style label_format_qr_style(enum label_format fmt)
{
	return fmt == LABEL_FORMAT_SVG ? LABEL_QR_PATH : LABEL_QR_IMAGE;
}

int label_format_is_dir(enum label_format fmt, const struct label_geom *g, uint64_t total)
{
	return (fmt == LABEL_FORMAT_PNG && total > 1) ||
	       (fmt == LABEL_FORMAT_SVG && total > (uint64_t)(g->cols * g->rows));
}

/* Writes what is gathered in the buffer to the file. */
static int flush(struct label_writer *w)
{
	if (!w->failed && w->used > 0 && atomic_write(&w->af, w->buf, w->used, &w->err) != TEM_OK)
		w->failed = 1;
	w->used = 0;
	return w->failed ? TEM_ERR : TEM_OK;
}

static cairo_status_t write_cb(void *closure, const unsigned char *data, unsigned int len)
{
	struct label_writer *w = closure;

	if (w->used + len > sizeof w->buf && flush(w) != TEM_OK)
		return CAIRO_STATUS_WRITE_ERROR;
	if (len > sizeof w->buf) {
		if (!w->failed && atomic_write(&w->af, data, len, &w->err) != TEM_OK)
			w->failed = 1;
	} else {
		memcpy(w->buf + w->used, data, len);
		w->used += len;
	}
	return w->failed ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

/* The file a label or page goes to: OUT itself, or NAME.EXT in the temporary directory. */
static const char *file_path(struct label_writer *w, const char *name, const char *ext, char *buf,
			     size_t cap)
{
	if (!w->dir)
		return w->path;
	snprintf(buf, cap, "%s/%s.%s", w->tmpdir, name, ext);
	return buf;
}

/* Ends the file being written: commits it when st and every write succeeded. */
static int end_file(struct label_writer *w, cairo_status_t st, struct tem_err *err)
{
	flush(w);
	if (w->failed || st != CAIRO_STATUS_SUCCESS) {
		if (w->failed)
			*err = w->err;
		else
			err_set(err, "%s: %s", w->af.path, cairo_status_to_string(st));
		atomic_abort(&w->af);
		return TEM_ERR;
	}
	return atomic_commit(&w->af, err);
}

/* Opens a vector surface (the PDF, or one SVG page) writing to path through an atomic file. */
static int open_vector(struct label_writer *w, const char *path, struct tem_err *err)
{
	double pw = w->g.page_w * 72 / 25.4, ph = w->g.page_h * 72 / 25.4;

	if (atomic_open(&w->af, path, 0644, w->dir ? 1 : w->force, err) != TEM_OK)
		return TEM_ERR;
	w->surface = w->fmt == LABEL_FORMAT_PDF
			 ? cairo_pdf_surface_create_for_stream(write_cb, w, pw, ph)
			 : cairo_svg_surface_create_for_stream(write_cb, w, pw, ph);
	if (cairo_surface_status(w->surface) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(w->surface);
		w->surface = NULL;
		atomic_abort(&w->af);
		return err_set(err, "%s: cannot create the %s surface", path,
			       w->fmt == LABEL_FORMAT_PDF ? "PDF" : "SVG");
	}
	if (w->fmt == LABEL_FORMAT_PDF)
		cairo_pdf_surface_set_metadata(w->surface, CAIRO_PDF_METADATA_CREATOR, "tem");
	w->cr = cairo_create(w->surface);
	cairo_scale(w->cr, 72 / 25.4, 72 / 25.4);
	return TEM_OK;
}

/* Finishes the current vector surface and commits its file. */
static int close_vector(struct label_writer *w, struct tem_err *err)
{
	cairo_status_t st;

	cairo_destroy(w->cr);
	w->cr = NULL;
	cairo_surface_finish(w->surface);
	st = cairo_surface_status(w->surface);
	cairo_surface_destroy(w->surface);
	w->surface = NULL;
	return end_file(w, st, err);
}

/* 1 when OUT may be written over: with force, or an empty folder to fill. */
static int force_ok(const struct label_writer *w)
{
	return w->force || (w->dir && w->fill);
}

/* 1 when path is a directory with nothing in it. */
static int empty_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (d == NULL)
		return 0;
	while (empty && (e = readdir(d)) != NULL)
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	return empty;
}

/* Settles what OUT is: its path without trailing slashes, and whether it is a folder of files
 * (several files, a path ending in '/', or an existing empty folder, which is filled). Refuses
 * an existing OUT unless force or an empty folder, and a folder for a one-file PDF. */
static int out_path(struct label_writer *w, const char *path, enum label_format fmt,
		    const struct label_geom *g, uint64_t total, struct tem_err *err)
{
	size_t n = strlen(path);
	int slash = n > 1 && path[n - 1] == '/';

	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 0 || n >= sizeof w->path)
		return err_set(err, "output path is empty or too long");
	memcpy(w->path, path, n);
	w->path[n] = '\0';
	w->fill = empty_dir(w->path);
	w->dir = slash || w->fill || label_format_is_dir(fmt, g, total);
	if (w->dir && fmt == LABEL_FORMAT_PDF)
		return err_set(err, "%s: a PDF is one file, not a folder", path);
	if (!force_ok(w) && access(w->path, F_OK) == 0)
		return err_set(err, "%s: already exists (use -f to overwrite)", path);
	return TEM_OK;
}

int label_write_open(struct label_writer **out, const char *path, enum label_format fmt, int force,
		     const struct label_geom *g, struct label_art *art, int dpi, uint64_t total,
		     struct tem_err *err)
{
	struct label_writer *w = calloc(1, sizeof *w);

	*out = NULL;
	if (w == NULL)
		return err_set(err, "out of memory");
	w->fmt = fmt;
	w->force = force;
	w->g = *g;
	w->art = art;
	w->dpi = dpi;
	w->af.fd = -1;
	if (out_path(w, path, fmt, g, total, err) != TEM_OK) {
		free(w);
		return TEM_ERR;
	}
	if (w->dir && (snprintf(w->tmpdir, sizeof w->tmpdir, "%s.tmp-XXXXXX", w->path) >=
			   (int)sizeof w->tmpdir ||
		       mkdtemp(w->tmpdir) == NULL)) {
		err_set(err, "%s: cannot create a directory: %s", path, strerror(errno));
		free(w);
		return TEM_ERR;
	}
	if ((fmt == LABEL_FORMAT_PDF && open_vector(w, w->path, err) != TEM_OK) ||
	    (fmt == LABEL_FORMAT_PNG && (w->png = label_raster_new(g, dpi)) == NULL &&
	     err_set(err, "%s: out of memory for a %d dpi image", path, dpi))) {
		label_write_free(w);
		return TEM_ERR;
	}
	*out = w;
	return TEM_OK;
}

/* Starts a page: the previous one gets its cut marks and ends (a new page of the PDF, or the
 * end of an SVG file), and an SVG page gets its file. */
static int new_page(struct label_writer *w, struct tem_err *err)
{
	char buf[4300], name[32];

	if (w->page_open) {
		label_draw_cut_marks(w->cr, &w->g);
		if (w->fmt == LABEL_FORMAT_PDF)
			cairo_show_page(w->cr);
		else if (close_vector(w, err) != TEM_OK)
			return TEM_ERR;
	}
	if (w->fmt == LABEL_FORMAT_SVG) {
		snprintf(name, sizeof name, "page-%04d", w->pages + 1);
		if (open_vector(w, file_path(w, name, "svg", buf, sizeof buf), err) != TEM_OK)
			return TEM_ERR;
	}
	w->page_open = 1;
	w->pages++;
	return TEM_OK;
}

static void png_write_fn(png_structp p, png_bytep data, size_t len)
{
	struct label_writer *w = png_get_io_ptr(p);

	/* cairo's callback type takes an unsigned int; PNG rows and chunks here are far smaller */
	if (len > 0xffffffffu || write_cb(w, data, (unsigned int)len) != CAIRO_STATUS_SUCCESS)
		png_error(p, "write failed");
}

static void png_flush_fn(png_structp p)
{
	(void)p;
}

/* Encodes the label image as an 8-bit RGB PNG with libpng, carrying its resolution in a pHYs
 * chunk (cairo's own PNG writer has none, and label printers' software then guesses 72 dpi):
 * CAIRO_STATUS_SUCCESS, or the status end_file reports. */
static cairo_status_t encode_png(struct label_writer *w)
{
	png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = p != NULL ? png_create_info_struct(p) : NULL;
	int width = cairo_image_surface_get_width(w->png),
	    height = cairo_image_surface_get_height(w->png),
	    stride = cairo_image_surface_get_stride(w->png);
	unsigned char *px = cairo_image_surface_get_data(w->png);
	png_uint_32 ppm = (png_uint_32)(w->dpi / 0.0254 + 0.5);
	const uint32_t one = 1;

	if (p == NULL || info == NULL) {
		png_destroy_write_struct(&p, &info);
		return CAIRO_STATUS_NO_MEMORY;
	}
	if (setjmp(png_jmpbuf(p))) {
		png_destroy_write_struct(&p, &info);
		return CAIRO_STATUS_WRITE_ERROR;
	}
	png_set_write_fn(p, w, png_write_fn, png_flush_fn);
	png_set_IHDR(p, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_set_pHYs(p, info, ppm, ppm, PNG_RESOLUTION_METER);
	png_write_info(p, info);
	/* cairo's RGB24 pixels are native 32-bit words 0x00RRGGBB */
	if (*(const unsigned char *)&one == 1) {
		png_set_bgr(p);
		png_set_filler(p, 0, PNG_FILLER_AFTER);
	} else {
		png_set_filler(p, 0, PNG_FILLER_BEFORE);
	}
	for (int y = 0; y < height; y++)
		png_write_row(p, px + (size_t)y * (size_t)stride);
	png_write_end(p, info);
	png_destroy_write_struct(&p, &info);
	return CAIRO_STATUS_SUCCESS;
}

/* Writes one label as its own PNG. */
static int write_png(struct label_writer *w, const struct qr *q, const char *short_id,
		     const char *pin, struct tem_err *err)
{
	char buf[4300];

	label_rasterise(w->png, w->art, w->dpi, q, short_id, pin);
	if (atomic_open(&w->af, file_path(w, short_id, "png", buf, sizeof buf), 0644,
			w->dir ? 1 : w->force, err) != TEM_OK)
		return TEM_ERR;
	return end_file(w, encode_png(w), err);
}

int label_write_label(struct label_writer *w, const struct qr *q, const char *short_id,
		      const char *pin, struct tem_err *err)
{
	int per_page = w->g.cols * w->g.rows, slot = (int)(w->labels % (uint64_t)per_page);
	double x, y;

	w->labels++;
	if (w->fmt == LABEL_FORMAT_PNG)
		return write_png(w, q, short_id, pin, err);
	if (slot == 0 && new_page(w, err) != TEM_OK)
		return TEM_ERR;
	label_slot(&w->g, slot, &x, &y);
	label_art_draw(w->art, w->cr, x, y, q, short_id, pin);
	if (w->failed) {
		*err = w->err;
		return TEM_ERR;
	}
	return TEM_OK;
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

int label_write_finish(struct label_writer *w, struct tem_err *err)
{
	struct stat st;

	if (w->cr != NULL) {
		label_draw_cut_marks(w->cr, &w->g);
		if (close_vector(w, err) != TEM_OK)
			return TEM_ERR;
	}
	if (w->dir) {
		if (lstat(w->path, &st) == 0 && !(S_ISDIR(st.st_mode) && empty_dir(w->path))) {
			if (!w->force)
				return err_set(err, "%s: already exists (use -f to overwrite)",
					       w->path);
			remove_tree(w->path);
		}
		if (rename(w->tmpdir, w->path) != 0)
			return err_set(err, "%s: %s", w->path, strerror(errno));
		w->tmpdir[0] = '\0';
	}
	w->finished = 1;
	return TEM_OK;
}

void label_write_free(struct label_writer *w)
{
	if (w == NULL)
		return;
	if (w->cr != NULL)
		cairo_destroy(w->cr);
	if (w->surface != NULL) {
		w->failed = 1; /* the stream refuses further writes */
		cairo_surface_finish(w->surface);
		cairo_surface_destroy(w->surface);
	}
	if (w->png != NULL)
		cairo_surface_destroy(w->png);
	atomic_abort(&w->af);
	if (w->tmpdir[0] != '\0')
		remove_tree(w->tmpdir);
	free(w);
}
