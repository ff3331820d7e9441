/* output.h — writing labels to files: one PDF of pages, SVG pages, or one PNG per label.
 * Outputs appear whole or not at all: a file through a temporary file and rename, several
 * files through a temporary directory renamed into place. No cairo here (label/output.c draws
 * through label/render.h), so the `tem` command can name formats. */
#ifndef TEM_OUTPUT_H
#define TEM_OUTPUT_H

#include <stdint.h>

#include "keys/err.h"
#include "label/layout.h"
#include "label/qr.h"

enum label_format { LABEL_FORMAT_PDF, LABEL_FORMAT_SVG, LABEL_FORMAT_PNG };

/* Parses "pdf", "svg" or "png" (any case); -1 for anything else. */
int label_format_parse(const char *s);

/* The format an output path names by its extension ("x.PDF": PDF), or a folder by its name
 * ("png/": PNG); -1 when none does. */
int label_format_of_path(const char *path);

/* How labels of that format draw their QR: a path for SVG (designers edit shapes), an image
 * mask otherwise. */
enum label_qr_style label_format_qr_style(enum label_format fmt);

/* 1 when `total` labels of geometry g in that format make several files, written into a
 * directory: PNG is one file per label, SVG one per page. */
int label_format_is_dir(enum label_format fmt, const struct label_geom *g, uint64_t total);

struct label_art;
struct label_writer;

/* Opens path for `total` labels of geometry g drawn by art (which must outlive the writer;
 * PNG images at dpi, carried in each PNG's pHYs chunk): refuses an existing path unless force
 * or an existing empty folder; a path ending in '/' or an empty folder is always a folder of
 * files. Then creates the temporary file or directory. TEM_OK with *out set (free with
 * label_write_free), or TEM_ERR. */
int label_write_open(struct label_writer **out, const char *path, enum label_format fmt, int force,
		     const struct label_geom *g, struct label_art *art, int dpi, uint64_t total,
		     struct tem_err *err);

/* Draws the next label (pin: its claim PIN as printed, or NULL): into the next slot of the
 * current page (starting a page or an SVG file when one is full), or as its own PNG named
 * after short_id. TEM_OK or TEM_ERR. */
int label_write_label(struct label_writer *w, const struct qr *q, const char *short_id,
		      const char *pin, struct tem_err *err);

/* Finishes the output: the last page's cut marks, then the file or directory is renamed into
 * place (replacing an existing one only with force). TEM_OK or TEM_ERR, nothing left behind. */
int label_write_finish(struct label_writer *w, struct tem_err *err);

/* Frees the writer; when not finished, removes everything it wrote (NULL is fine). */
void label_write_free(struct label_writer *w);

#endif
