/* label.c — `tem label`: options, then the producer's key, then label/job.h does the work
 * (the batch verified, every label drawn in order into PDF, SVG or PNG). */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "keys/text.h"
#include "label/job.h"

static const char usage[] =
    "usage: tem label BATCH -p PUB -o OUT [--layout tie|sticker|sheet] [--format pdf|svg|png]\n"
    "                 [--paper A4|Letter] [--label-size WxHmm] [--qr-size MM] [--ecc L|M|Q|H]\n"
    "                 [--dpi N] [--printer-dpi N] [--url BASE] [--min-module MM]\n"
    "                 [--max-version V] [--claim FILE] [--no-pin] [--check] [--info] [-f] [-q]\n"
    "                 [--threads N]\n"
    "\n"
    "Renders every code of BATCH as a QR label pointing to BASE/C/CODE. The batch is verified\n"
    "first (BATCH.minisig and every code's signature, with the producer's key PUB): a tampered\n"
    "batch prints nothing.\n"
    "\n"
    "  --layout tie       22x65 mm strips for crab ties, the PIN on a flap that folds behind,\n"
    "                     packed on a page with cut marks (default)\n"
    "  --layout sticker   one label per page of the label's size, for roll label printers\n"
    "  --layout sheet     a grid of labels on A4 or Letter with cut marks\n"
    "  --format FMT       pdf, svg or png; default from OUT's extension. PNG is one image per\n"
    "                     label, SVG one file per page; several go into the directory OUT\n"
    "  --label-size WxH   label size in mm (tie 22x65, sticker 50x30, sheet 60x30)\n"
    "  --qr-size MM       QR side without its quiet zone (default: as large as fits)\n"
    "  --ecc L|M|Q|H      error correction (default M)\n"
    "  --dpi N            PNG resolution (default 600), written in each PNG\n"
    "  --printer-dpi N    the printer's resolution, for --check and --min-module (default 300)\n"
    "  --url BASE         verification base URL (default: the batch's)\n"
    "  --min-module MM    smallest QR module printed (default 0.33, what phones read)\n"
    "  --max-version V    refuse QR versions past V\n"
    "  --claim FILE       the batch's claim key (default BATCH.claim): each label's PIN is\n"
    "                     printed in its hidden area (scratch-off panel, the tie's flap)\n"
    "  --no-pin           draw labels without the PIN area (a proof print)\n"
    "  --check            read every label back as a phone sees it (printed at --printer-dpi,\n"
    "                     7 px/mm, blurred) before writing; a label that does not read fails\n"
    "  --info             print the QR version and geometry\n";

/* Long options, stored by index as given (a flag as "1") and checked afterwards. */
enum {
	O_LAYOUT,
	O_FORMAT,
	O_PAPER,
	O_SIZE,
	O_QR,
	O_ECC,
	O_DPI,
	O_URL,
	O_MIN,
	O_MAXV,
	O_CHECK,
	O_INFO,
	O_THREADS,
	O_PDPI,
	O_CLAIM,
	O_NOPIN,
	O_COUNT
};
static const struct option opts[] = {{"layout", required_argument, NULL, 256 + O_LAYOUT},
				     {"format", required_argument, NULL, 256 + O_FORMAT},
				     {"paper", required_argument, NULL, 256 + O_PAPER},
				     {"label-size", required_argument, NULL, 256 + O_SIZE},
				     {"qr-size", required_argument, NULL, 256 + O_QR},
				     {"ecc", required_argument, NULL, 256 + O_ECC},
				     {"dpi", required_argument, NULL, 256 + O_DPI},
				     {"url", required_argument, NULL, 256 + O_URL},
				     {"min-module", required_argument, NULL, 256 + O_MIN},
				     {"max-version", required_argument, NULL, 256 + O_MAXV},
				     {"check", no_argument, NULL, 256 + O_CHECK},
				     {"info", no_argument, NULL, 256 + O_INFO},
				     {"threads", required_argument, NULL, 256 + O_THREADS},
				     {"printer-dpi", required_argument, NULL, 256 + O_PDPI},
				     {"claim", required_argument, NULL, 256 + O_CLAIM},
				     {"no-pin", no_argument, NULL, 256 + O_NOPIN},
				     {"help", no_argument, NULL, 'h'},
				     {NULL, 0, NULL, 0}};

struct args {
	const char *pub, *out;  /* -p, -o */
	int force, quiet;       /* -f, -q */
	const char *v[O_COUNT]; /* long options as given, NULL when absent */
	struct label_opts o;    /* what they say */
	int fmt;                /* enum label_format */
};

/* Reads the options into a: 0 when they are complete, -1 after --help, else the exit
 * status of a usage error. */
static int parse(int argc, char **argv, struct args *a)
{
	int c;

	while ((c = getopt_long(argc, argv, "p:o:fqh", opts, NULL)) != -1) {
		if (c >= 256 && c < 256 + O_COUNT) {
			a->v[c - 256] = optarg != NULL ? optarg : "1";
			continue;
		}
		switch (c) {
		case 'p':
			a->pub = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'f':
			a->force = 1;
			break;
		case 'q':
			a->quiet = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			return cli_usage_error("label", "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("label", "give exactly one batch file");
	return 0;
}

/* Checks and converts the numeric options: 0, or the exit status of a usage error. */
static int check_numbers(struct args *a)
{
	double dpi = 600, pdpi = 300;
	uint64_t v;

	if (a->v[O_QR] != NULL &&
	    text_parse_decimal(a->v[O_QR], 5, 500, &a->o.spec.qr_mm) != TEM_OK)
		return cli_usage_error("label", "--qr-size: not a size from 5 to 500 mm");
	if (a->v[O_ECC] != NULL && (int)(a->o.ecc = (enum qr_ecc)qr_ecc_parse(a->v[O_ECC])) < 0)
		return cli_usage_error("label", "--ecc: L, M, Q or H");
	if (a->v[O_DPI] != NULL && text_parse_decimal(a->v[O_DPI], 72, 2400, &dpi) != TEM_OK)
		return cli_usage_error("label", "--dpi: a resolution from 72 to 2400");
	a->o.dpi = (int)dpi;
	if (a->v[O_PDPI] != NULL && text_parse_decimal(a->v[O_PDPI], 72, 2400, &pdpi) != TEM_OK)
		return cli_usage_error("label", "--printer-dpi: a resolution from 72 to 2400");
	a->o.printer_dpi = (int)pdpi;
	if (a->v[O_MIN] != NULL &&
	    text_parse_decimal(a->v[O_MIN], 0.05, 5, &a->o.spec.min_module) != TEM_OK)
		return cli_usage_error("label", "--min-module: a size from 0.05 to 5 mm");
	/* a module smaller than one printer dot cannot be printed at all */
	if (a->v[O_MIN] != NULL && a->o.spec.min_module < 25.4 / pdpi - 1e-9)
		return cli_usage_error(
		    "label",
		    "--min-module %s mm is smaller than one dot of a %d dpi printer "
		    "(%.3f mm)",
		    a->v[O_MIN], a->o.printer_dpi, 25.4 / pdpi);
	if (a->v[O_MAXV] != NULL && text_parse_u64(a->v[O_MAXV], 1, 40, &v) != TEM_OK)
		return cli_usage_error("label", "--max-version: a QR version from 1 to 40");
	a->o.max_version = a->v[O_MAXV] != NULL ? (int)v : 0;
	if (a->v[O_THREADS] != NULL && text_parse_u64(a->v[O_THREADS], 1, 64, &v) != TEM_OK)
		return cli_usage_error("label", "--threads: a number from 1 to 64");
	a->o.threads = a->v[O_THREADS] != NULL ? (unsigned)v : 0;
	return 0;
}

/* Checks the layout, paper, size and format options: 0, or an exit status. */
static int check_names(struct args *a)
{
	struct tem_err err;

	if (a->pub == NULL)
		return cli_usage_error("label", "-p PUB is needed: labels are printed only from a "
						"verified batch");
	if (a->out == NULL && a->v[O_INFO] == NULL)
		return cli_usage_error("label", "-o OUT is needed");
	if ((int)(a->o.spec.kind = (enum layout_kind)layout_parse(a->v[O_LAYOUT])) < 0)
		return cli_usage_error("label", "unknown layout '%s' (tie, sticker or sheet)",
				       a->v[O_LAYOUT]);
	if (a->v[O_PAPER] != NULL &&
	    paper_parse(a->v[O_PAPER], &a->o.spec.page_w, &a->o.spec.page_h, &err) != TEM_OK)
		return cli_fail(&err);
	if (a->v[O_SIZE] != NULL &&
	    size_parse(a->v[O_SIZE], &a->o.spec.label_w, &a->o.spec.label_h, &err) != TEM_OK)
		return cli_fail(&err);
	a->o.url = a->v[O_URL];
	a->o.claim = a->v[O_CLAIM];
	a->o.no_pin = a->v[O_NOPIN] != NULL;
	if (a->o.claim != NULL && a->o.no_pin)
		return cli_usage_error("label", "--claim and --no-pin: give one");
	a->o.check = a->v[O_CHECK] != NULL;
	if (a->out == NULL)
		return 0;
	a->fmt = a->v[O_FORMAT] != NULL ? label_format_parse(a->v[O_FORMAT])
					: label_format_of_path(a->out);
	if (a->fmt < 0)
		return cli_usage_error(
		    "label",
		    "format '%s' is not pdf, svg or png (give --format or an OUT "
		    "ending in one)",
		    a->v[O_FORMAT] != NULL         ? a->v[O_FORMAT]
		    : strrchr(a->out, '.') != NULL ? strrchr(a->out, '.') + 1
						   : "");
	return 0;
}

/* Prints what --info shows: the QR symbol and the page geometry. */
static void print_info(const struct label_job *j, enum qr_ecc ecc)
{
	const struct label_geom *g = label_job_geom(j);
	uint64_t per = (uint64_t)(g->cols * g->rows), n = label_job_count(j);

	printf("QR version %d, %d modules a side (+%d quiet zone), ECC %c\n"
	       "module %.3f mm, QR %.1f mm (%.1f mm with quiet zone)\n"
	       "label %.1fx%.1f mm, %llu a page, %llu page(s) of %.1fx%.1f mm\n"
	       "grid %dx%d, first label at %.2f,%.2f mm\n",
	       label_job_qr_version(j), g->qr_width, 2 * QR_QUIET, "LMQH"[ecc], g -> module,
	       g -> module * g -> qr_width, g -> qr_block, g -> spec.label_w, g->spec.label_h,
	       (unsigned long long)per, (unsigned long long)((n + per - 1) / per), g->page_w,
	       g->page_h, g->cols, g->rows, g->x0, g->y0);
}

int cmd_label(int argc, char **argv)
{
	struct args a = {.v = {[O_LAYOUT] = "tie"}, .o = {.ecc = QR_ECC_M}};
	struct label_job *j = NULL;
	struct tem_pubkey pk;
	struct progress prog;
	struct tem_err err;
	int rc, r;

	if ((rc = parse(argc, argv, &a)) != 0 || (rc = check_numbers(&a)) != 0 ||
	    (rc = check_names(&a)) != 0)
		return rc < 0 ? 0 : rc;
#ifdef M_TRIM_THRESHOLD
	/* libqrencode allocates and frees some kilobytes for each symbol on every thread; by
	 * default glibc hands the heap top back to the kernel whenever it shrinks, and each such
	 * brk costs a TLB shootdown on every core (a third of the run time, measured by perf) */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
	if (keys_init(&err) != TEM_OK || keys_public_load(a.pub, &pk, &err) != TEM_OK)
		return cli_fail(&err);
	if ((r = label_job_open(&j, argv[optind], &pk, &a.o, &err)) == TEM_OK) {
		if (a.v[O_INFO] != NULL)
			print_info(j, a.o.ecc);
		if (a.o.no_pin && label_job_batch_has_claim(j) && !a.quiet)
			fprintf(stderr,
				"tem: --no-pin: labels drawn without their PIN area (a proof "
				"print: do not give these labels to buyers)\n");
		progress_start(&prog, "labels", label_job_count(j), a.quiet);
		if (a.out != NULL)
			r = label_job_write(j, a.out, (enum label_format)a.fmt, a.force,
					    progress_update, &prog, &err);
	}
	if (r == TEM_OK && a.out != NULL) {
		const struct label_geom *g = label_job_geom(j);
		progress_end(&prog, label_job_count(j));
		if (!a.quiet)
			fprintf(
			    stderr,
			    "%llu labels%s%s, %d per page, QR version %d, module %.2f mm -> %s\n",
			    (unsigned long long)label_job_count(j),
			    label_job_has_pin(j) ? " with claim PINs" : " without PINs",
			    a.o.check ? " (each read back as a phone sees it)" : "",
			    g->cols * g->rows, label_job_qr_version(j), g->module, a.out);
	}
	label_job_free(j);
	if (r == TEM_OK)
		return 0;
	cli_warn("%s", err.msg);
	return r == TEM_NO ? EXIT_NO : EXIT_USAGE;
}
