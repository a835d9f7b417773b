// SPDX-License-Identifier: GPL-2.0
/*
 * xtcpstat: what `ss -tan` shows for TCP, for xtcp, read from /proc; plus
 * per-state totals, the counters, the transition matrix, the state
 * diagram as Graphviz dot with live counts, and a CLOSE_WAIT leak check.
 *
 *   xtcpstat [filters]             the connections (default view)
 *   xtcpstat -s [filters]          sockets per state, every state listed
 *   xtcpstat -c [-z]               /proc/net/xtcp_stat (-z: non-zero only)
 *   xtcpstat -m                    transitions taken, rows from, columns to
 *   xtcpstat --diagram             the state diagram, Graphviz dot
 *   xtcpstat --leaks [SECONDS]     CLOSE_WAIT for SECONDS (60) or longer,
 *                                  with the processes holding the sockets
 *
 * Inputs, all of the namespace the tool runs in (or --netns NAME's):
 * PROC/net/xtcp and PROC/net/xtcp6 (module/proc.c documents their
 * columns; an IPv6-API socket's addresses show as [ADDR]:PORT, as ss shows
 * TCP's AF_INET6 sockets), PROC/net/xtcp_stat,
 * PROC/net/xtcp_trans ("FROM TO COUNT" per edge) and, for --leaks,
 * PROC/PID/fd/ and PROC/PID/comm.  PROC is /proc unless --proc says.
 *
 * Which rows the list shows: by default every state but LISTEN (ss hides
 * listeners too, but also TIME_WAIT and SYN_RECV; xtcp is about those, so
 * they stay); -l only LISTEN, -a all of them, --state an explicit set,
 * which wins over -a and -l.  -s counts every state unless -l, -a or
 * --state narrow it.  Port and address filters apply to the list, -s and
 * --leaks; the counters, the matrix and the diagram are namespace-wide.
 *
 * Exit status: 0; 1 when --leaks reports a socket; 2 on any error.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "module/core.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define EXIT_LEAKS	1
#define EXIT_ERROR	2

#define ALL_STATES	(((1u << XTCP_MAX_STATES) - 1) & ~1u)
#define STATE_BIT(s)	(1u << (s))

/* The order states are listed in: the open, then the two ways to close. */
static const int state_order[] = {
	XTCP_CLOSE, XTCP_LISTEN, XTCP_SYN_SENT, XTCP_SYN_RECV,
	XTCP_ESTABLISHED, XTCP_FIN_WAIT1, XTCP_FIN_WAIT2, XTCP_CLOSING,
	XTCP_TIME_WAIT, XTCP_CLOSE_WAIT, XTCP_LAST_ACK,
};

/**
 * struct row - one row of /proc/net/xtcp or xtcp6
 * @laddr: local address, IPv4 ones v4-mapped (proc.c prints each 32-bit
 *	word in network order read as a host word: read back alike)
 * @raddr: remote address, the same way
 * @v6: the row is xtcp6's (an IPv6-API socket's)
 * @lport: local port
 * @rport: remote port
 * @st: state number (enum xtcp_state)
 * @txq: tx_queue
 * @rxq: rx_queue
 * @tr: timer kind (0 none, 1 retransmission, 2 keepalive or FIN_WAIT_2,
 *	3 TIME_WAIT, 4 zero-window probe)
 * @when: clock ticks (USER_HZ) until the timer fires
 * @retr: retrnsmt
 * @uid: owner
 * @inode: socket inode (0 for requests and TIME_WAIT entries)
 * @state_ms: milliseconds in the state
 */
struct row {
	struct in6_addr laddr, raddr;
	bool v6;
	unsigned int lport, rport;
	int st;
	unsigned long txq, rxq;
	int tr;
	unsigned long when, retr, uid, inode, state_ms;
};

/* An address filter: A.B.C.D[/LEN], compared in network order. */
struct addr_filter {
	bool on;
	u32 addr, mask;
};

enum view { VIEW_LIST, VIEW_SUMMARY, VIEW_COUNTERS, VIEW_MATRIX,
	    VIEW_DIAGRAM, VIEW_LEAKS };

struct opts {
	const char *proc;
	const char *netns;
	unsigned int states;		/* STATE_BIT()s; 0: the view's default */
	int sport, dport, port;		/* -1: any */
	struct addr_filter src, dst;
	enum view view;
	int views;			/* views asked for: at most one */
	bool nonzero, no_header, watch;
	double interval;		/* --watch seconds */
	long count;			/* --count refreshes, 0: no end */
	double leak_secs;
};

static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("xtcpstat: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_ERROR);
}

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (!p)
		die("out of memory");
	return p;
}

/* ---- parsing arguments ---- */

/* A state by name, case-insensitive, '-' taken for '_'; -1 if none. */
static int state_by_name(const char *name, size_t len)
{
	char buf[32];
	size_t i;
	int s;

	if (len >= sizeof(buf))
		return -1;
	for (i = 0; i < len; i++)
		buf[i] = name[i] == '-' ? '_' : toupper((unsigned char)name[i]);
	buf[len] = '\0';
	for (s = XTCP_ESTABLISHED; s < XTCP_MAX_STATES; s++)
		if (!strcmp(buf, xtcp_state_name(s)))
			return s;
	return -1;
}

static unsigned int parse_states(const char *arg)
{
	unsigned int set = 0;
	const char *p = arg;

	for (;;) {
		size_t len = strcspn(p, ",");
		int s;

		if (len == 3 && !strncasecmp(p, "all", 3)) {
			set |= ALL_STATES;
		} else {
			s = state_by_name(p, len);
			if (s < 0)
				die("unknown state '%.*s' (see --help)", (int)len, p);
			set |= STATE_BIT(s);
		}
		if (!p[len])
			break;
		p += len + 1;
	}
	return set;
}

static int parse_port(const char *opt, const char *arg)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 0 || v > 65535)
		die("%s: '%s' is not a port (0-65535)", opt, arg);
	return (int)v;
}

static void parse_addr(const char *opt, const char *arg, struct addr_filter *f)
{
	char buf[INET_ADDRSTRLEN + 4], *slash, *end;
	struct in_addr a;
	long len = 32;

	if (strlen(arg) >= sizeof(buf))
		die("%s: '%s' is not an IPv4 address[/length]", opt, arg);
	strcpy(buf, arg);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || len < 0 || len > 32)
			die("%s: bad prefix length in '%s'", opt, arg);
	}
	if (inet_pton(AF_INET, buf, &a) != 1)
		die("%s: '%s' is not an IPv4 address[/length]", opt, arg);
	f->on = true;
	f->mask = len ? htonl(~0u << (32 - len)) : 0;
	f->addr = a.s_addr & f->mask;
}

static double parse_seconds(const char *opt, const char *arg, bool zero_ok)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || v < 0 || (!zero_ok && v == 0) ||
	    v > 1e9)
		die("%s: '%s' is not a number of seconds", opt, arg);
	return v;
}

/* A bare number following an option whose argument is optional. */
static const char *optional_arg(int argc, char **argv)
{
	const char *a;

	if (optarg)
		return optarg;
	if (optind >= argc)
		return NULL;
	a = argv[optind];
	if (!isdigit((unsigned char)a[0]) && a[0] != '.')
		return NULL;
	optind++;
	return a;
}

static void usage(FILE *f)
{
	fputs("Usage: xtcpstat [VIEW] [FILTERS] [OPTIONS]\n"
	      "Views (one at most; the default lists connections, like ss -tan):\n"
	      "  -s, --summary          sockets per state, every state, and the total\n"
	      "  -c, --counters         the namespace's counters (/proc/net/xtcp_stat)\n"
	      "  -z, --nonzero          with -c: only the counters that are not 0\n"
	      "  -m, --matrix           transitions taken: rows from, columns to;\n"
	      "                         '.' not an edge of the diagram, 'N!' an\n"
	      "                         illegal edge taken N times\n"
	      "      --diagram          the state diagram as Graphviz dot, every\n"
	      "                         legal edge labelled with its count\n"
	      "      --leaks [SECONDS]  CLOSE_WAIT sockets SECONDS (60) or longer in\n"
	      "                         that state, with their processes; exit 1 if any\n"
	      "Filters (list, -s, --leaks):\n"
	      "  -a, --all              every state\n"
	      "  -l, --listening        LISTEN only\n"
	      "      --state S[,S...]   these states (names as /proc/net/xtcp prints\n"
	      "                         them, any case, or 'all'); wins over -a, -l.\n"
	      "                         Default: every state but LISTEN (-s: all)\n"
	      "      --sport N          local port N\n"
	      "      --dport N          peer port N\n"
	      "      --port N           either port N\n"
	      "      --src A[/LEN]      local address (in prefix A/LEN)\n"
	      "      --dst A[/LEN]      peer address (in prefix A/LEN)\n"
	      "Options:\n"
	      "  -w, --watch [SECONDS]  redraw every SECONDS (1) until interrupted\n"
	      "      --count N          with --watch: stop after N refreshes\n"
	      "  -H, --no-header        no header lines\n"
	      "      --proc DIR         read DIR/net/xtcp... instead of /proc\n"
	      "      --netns NAME       enter network namespace NAME (/run/netns/NAME,\n"
	      "                         or a path) first\n"
	      "  -t, -n                 accepted and ignored (ss habits: xtcpstat -tan)\n"
	      "  -h, --help             this text\n"
	      "Exit status: 0; 1 when --leaks reports a socket; 2 on errors.\n", f);
}

enum {
	OPT_STATE = 256, OPT_SPORT, OPT_DPORT, OPT_PORT, OPT_SRC, OPT_DST,
	OPT_DIAGRAM, OPT_COUNT, OPT_LEAKS, OPT_PROC, OPT_NETNS,
};

static const struct option long_opts[] = {
	{ "all",	no_argument,		NULL, 'a' },
	{ "listening",	no_argument,		NULL, 'l' },
	{ "state",	required_argument,	NULL, OPT_STATE },
	{ "sport",	required_argument,	NULL, OPT_SPORT },
	{ "dport",	required_argument,	NULL, OPT_DPORT },
	{ "port",	required_argument,	NULL, OPT_PORT },
	{ "src",	required_argument,	NULL, OPT_SRC },
	{ "dst",	required_argument,	NULL, OPT_DST },
	{ "summary",	no_argument,		NULL, 's' },
	{ "counters",	no_argument,		NULL, 'c' },
	{ "nonzero",	no_argument,		NULL, 'z' },
	{ "matrix",	no_argument,		NULL, 'm' },
	{ "diagram",	no_argument,		NULL, OPT_DIAGRAM },
	{ "leaks",	optional_argument,	NULL, OPT_LEAKS },
	{ "watch",	optional_argument,	NULL, 'w' },
	{ "count",	required_argument,	NULL, OPT_COUNT },
	{ "no-header",	no_argument,		NULL, 'H' },
	{ "proc",	required_argument,	NULL, OPT_PROC },
	{ "netns",	required_argument,	NULL, OPT_NETNS },
	{ "tcp",	no_argument,		NULL, 't' },
	{ "numeric",	no_argument,		NULL, 'n' },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL,		0,			NULL, 0 },
};

static void set_view(struct opts *o, enum view v)
{
	if (o->views && o->view != v)
		die("choose one of -s, -c, -m, --diagram, --leaks");
	o->view = v;
	o->views = 1;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	unsigned int flag_states = 0, named_states = 0;
	const char *a;
	char *end;
	int c;

	o->proc = "/proc";
	o->sport = -1;
	o->dport = -1;
	o->port = -1;
	o->interval = 1;
	o->leak_secs = 60;
	opterr = 0;
	/* '+': stop at the first non-option, so a number after -w stays ours */
	while ((c = getopt_long(argc, argv, "+:alscmzw::Htnh", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'a':
			flag_states = ALL_STATES;
			break;
		case 'l':
			flag_states = STATE_BIT(XTCP_LISTEN);
			break;
		case OPT_STATE:
			named_states |= parse_states(optarg);
			break;
		case OPT_SPORT:
			o->sport = parse_port("--sport", optarg);
			break;
		case OPT_DPORT:
			o->dport = parse_port("--dport", optarg);
			break;
		case OPT_PORT:
			o->port = parse_port("--port", optarg);
			break;
		case OPT_SRC:
			parse_addr("--src", optarg, &o->src);
			break;
		case OPT_DST:
			parse_addr("--dst", optarg, &o->dst);
			break;
		case 's':
			set_view(o, VIEW_SUMMARY);
			break;
		case 'c':
			set_view(o, VIEW_COUNTERS);
			break;
		case 'z':
			o->nonzero = true;
			break;
		case 'm':
			set_view(o, VIEW_MATRIX);
			break;
		case OPT_DIAGRAM:
			set_view(o, VIEW_DIAGRAM);
			break;
		case OPT_LEAKS:
			set_view(o, VIEW_LEAKS);
			a = optional_arg(argc, argv);
			if (a)
				o->leak_secs = parse_seconds("--leaks", a, true);
			break;
		case 'w':
			o->watch = true;
			a = optional_arg(argc, argv);
			if (a)
				o->interval = parse_seconds("--watch", a, false);
			break;
		case OPT_COUNT:
			errno = 0;
			o->count = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || o->count < 1)
				die("--count: '%s' is not a positive number", optarg);
			o->watch = true;
			break;
		case 'H':
			o->no_header = true;
			break;
		case OPT_PROC:
			o->proc = optarg;
			break;
		case OPT_NETNS:
			o->netns = optarg;
			break;
		case 't':
		case 'n':
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			die("option '%s' needs an argument (see --help)",
			    argv[optind - 1]);
			break;
		default:
			if (optopt > 0 && optopt < 256)
				die("unknown option '-%c' (see --help)", optopt);
			die("unknown option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	if (named_states)
		o->states = named_states;
	else
		o->states = flag_states;
	if (!o->states)
		o->states = o->view == VIEW_LIST ?
			    ALL_STATES & ~STATE_BIT(XTCP_LISTEN) : ALL_STATES;
	if (o->view == VIEW_LEAKS)
		o->states = STATE_BIT(XTCP_CLOSE_WAIT);
}

/* ---- reading /proc ---- */

static FILE *open_net(const struct opts *o, const char *name, char *path,
		      size_t len)
{
	snprintf(path, len, "%s/net/%s", o->proc, name);
	return fopen(path, "r");
}

/* An address column of PROC/net/xtcp (@v6: of xtcp6) into @a; 0 or -1 */
static int parse_proc_addr(const char *col, bool v6, struct in6_addr *a)
{
	unsigned int w[4] = { 0 };
	int i, len;

	for (i = v6 ? 0 : 3; i < 4; i++) {
		if (sscanf(col, "%8x%n", &w[i], &len) != 1 || len != 8)
			return -1;
		col += len;
	}
	if (!v6)
		w[2] = htonl(0xffff);
	memcpy(a->s6_addr32, w, sizeof(w));
	return *col ? -1 : 0;
}

/*
 * The rows of PROC/net/@name appended to *@rows; -1 if there is no such
 * file (errno ENOENT), exits 2 on any other error.
 */
static int read_rows_of(const struct opts *o, const char *name, bool v6,
			struct row **rows, size_t *n, size_t *cap)
{
	static const char *const header[] = {
		"  sl  local_address rem_address   st ",
		"  sl  local_address                         remote_address                        st ",
	};
	size_t lineno = 1, linecap = 0;
	char *line = NULL;
	char path[PATH_MAX];
	FILE *f;

	f = open_net(o, name, path, sizeof(path));
	if (!f && errno == ENOENT)
		return -1;
	if (!f)
		die("%s: %s", path, strerror(errno));
	if (getline(&line, &linecap, f) < 0 ||
	    strncmp(line, header[v6], strlen(header[v6])))
		die("%s: not the expected header", path);
	while (getline(&line, &linecap, f) >= 0) {
		char state[32], la[33], ra[33];
		struct row r = { .v6 = v6 };
		int sl;
		int got;

		lineno++;
		got = sscanf(line,
			     "%d: %32[0-9A-F]:%x %32[0-9A-F]:%x %x %lx:%lx %x:%lx %lx %lu %*d %lu %31s %lu",
			     &sl, la, &r.lport, ra, &r.rport, &r.st,
			     &r.txq, &r.rxq, &r.tr, &r.when, &r.retr, &r.uid,
			     &r.inode, state, &r.state_ms);
		if (got != 15 || !xtcp_state_valid(r.st) ||
		    parse_proc_addr(la, v6, &r.laddr) ||
		    parse_proc_addr(ra, v6, &r.raddr))
			die("%s line %zu: cannot parse: %s", path, lineno, line);
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			*rows = xrealloc(*rows, *cap * sizeof(**rows));
		}
		(*rows)[(*n)++] = r;
	}
	free(line);
	fclose(f);
	return 0;
}

/*
 * Every row of PROC/net/xtcp and xtcp6 (a module older than IPv6's API
 * has no xtcp6); exits 2 if there is no PROC/net/xtcp.
 */
static struct row *read_rows(const struct opts *o, size_t *n)
{
	struct row *rows = NULL;
	size_t cap = 0;

	*n = 0;
	if (read_rows_of(o, "xtcp", false, &rows, n, &cap))
		die("xtcp not loaded (no %s/net/xtcp)", o->proc);
	read_rows_of(o, "xtcp6", true, &rows, n, &cap);
	return rows;
}

/* transitions[from][to], from PROC/net/xtcp_trans */
struct trans {
	unsigned long long n[XTCP_MAX_STATES][XTCP_MAX_STATES];
};

static void read_trans(const struct opts *o, struct trans *t)
{
	char path[PATH_MAX], from[32], to[32], extra[2];
	char *line = NULL;
	size_t linecap = 0, lineno = 0;
	FILE *f;

	memset(t, 0, sizeof(*t));
	f = open_net(o, "xtcp_trans", path, sizeof(path));
	if (!f && errno == ENOENT) {
		char probe[PATH_MAX];

		snprintf(probe, sizeof(probe), "%s/net/xtcp", o->proc);
		if (access(probe, F_OK))
			die("xtcp not loaded (no %s)", probe);
		die("%s: no such file (a module without transition counters)",
		    path);
	}
	if (!f)
		die("%s: %s", path, strerror(errno));
	while (getline(&line, &linecap, f) >= 0) {
		unsigned long long v;
		int a, b;

		lineno++;
		if (sscanf(line, "%31s %31s %llu %1s", from, to, &v, extra) != 3)
			die("%s line %zu: not FROM TO COUNT: %s", path, lineno,
			    line);
		a = state_by_name(from, strlen(from));
		b = state_by_name(to, strlen(to));
		if (a < 0 || b < 0 || strcmp(from, xtcp_state_name(a)) ||
		    strcmp(to, xtcp_state_name(b)))
			die("%s line %zu: unknown state: %s", path, lineno, line);
		t->n[a][b] += v;
	}
	free(line);
	fclose(f);
}

/* ---- the list ---- */

/* An IPv4 filter matches IPv4 addresses, v4-mapped ones of xtcp6 too. */
static bool addr_match(const struct addr_filter *f, const struct in6_addr *a)
{
	if (!f->on)
		return true;
	return IN6_IS_ADDR_V4MAPPED(a) && (a->s6_addr32[3] & f->mask) == f->addr;
}

static bool row_selected(const struct opts *o, const struct row *r)
{
	if (!(o->states & STATE_BIT(r->st)))
		return false;
	if (o->sport >= 0 && r->lport != (unsigned int)o->sport)
		return false;
	if (o->dport >= 0 && r->rport != (unsigned int)o->dport)
		return false;
	if (o->port >= 0 && r->lport != (unsigned int)o->port &&
	    r->rport != (unsigned int)o->port)
		return false;
	return addr_match(&o->src, &r->laddr) && addr_match(&o->dst, &r->raddr);
}

/* ADDR:PORT, [ADDR]:PORT for an xtcp6 row, "*" for port 0 */
static void fmt_endpoint(char *buf, size_t len, const struct row *r,
			 bool local)
{
	const struct in6_addr *a = local ? &r->laddr : &r->raddr;
	unsigned int port = local ? r->lport : r->rport;
	char ip[INET6_ADDRSTRLEN], pt[12] = "*";

	if (r->v6)
		inet_ntop(AF_INET6, a, ip, sizeof(ip));
	else
		inet_ntop(AF_INET, &a->s6_addr32[3], ip, sizeof(ip));
	if (port)
		snprintf(pt, sizeof(pt), "%u", port);
	snprintf(buf, len, r->v6 ? "[%s]:%s" : "%s:%s", ip, pt);
}

/*
 * The timer column: its kind and the time left in seconds, from the clock
 * ticks (USER_HZ) /proc prints, as netstat -o shows /proc/net/tcp's.
 */
static void fmt_timer(char *buf, size_t len, const struct row *r)
{
	static const char *const kinds[] = {
		[1] = "on", [2] = "keepalive", [3] = "timewait", [4] = "persist",
	};
	long hz = sysconf(_SC_CLK_TCK);
	unsigned long s, cs;

	if (!r->tr) {
		snprintf(buf, len, "-");
		return;
	}
	if (hz <= 0)
		hz = 100;
	s = r->when / hz;
	cs = r->when % hz * 100 / hz;
	if (r->tr > 0 && r->tr < (int)ARRAY_SIZE(kinds))
		snprintf(buf, len, "%s,%lu.%02lus", kinds[r->tr], s, cs);
	else
		snprintf(buf, len, "%d,%lu.%02lus", r->tr, s, cs);
}

static int show_list(const struct opts *o)
{
	char local[64], peer[64], timer[40];
	struct row *rows;
	size_t i, n;

	rows = read_rows(o, &n);
	if (!o->no_header)
		printf("%-11s %6s %6s %-21s %-21s %-16s %4s %5s %8s %s\n",
		       "State", "Recv-Q", "Send-Q", "Local Address:Port",
		       "Peer Address:Port", "Timer", "Retr", "Uid", "Inode",
		       "Time");
	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		if (!row_selected(o, r))
			continue;
		fmt_endpoint(local, sizeof(local), r, true);
		fmt_endpoint(peer, sizeof(peer), r, false);
		fmt_timer(timer, sizeof(timer), r);
		printf("%-11s %6lu %6lu %-21s %-21s %-16s %4lu %5lu %8lu %lu.%03lus\n",
		       xtcp_state_name(r->st), r->rxq, r->txq, local, peer,
		       timer, r->retr, r->uid, r->inode, r->state_ms / 1000,
		       r->state_ms % 1000);
	}
	free(rows);
	return 0;
}

static int show_summary(const struct opts *o)
{
	unsigned long count[XTCP_MAX_STATES] = { 0 }, total = 0;
	struct row *rows;
	size_t i, n;

	rows = read_rows(o, &n);
	for (i = 0; i < n; i++) {
		if (!row_selected(o, &rows[i]))
			continue;
		count[rows[i].st]++;
		total++;
	}
	free(rows);
	if (!o->no_header)
		printf("%-11s %s\n", "State", "Count");
	for (i = 0; i < ARRAY_SIZE(state_order); i++) {
		int s = state_order[i];

		if (o->states & STATE_BIT(s))
			printf("%-11s %lu\n", xtcp_state_name(s), count[s]);
	}
	printf("%-11s %lu\n", "Total", total);
	return 0;
}

/* ---- counters ---- */

static int show_counters(const struct opts *o)
{
	char path[PATH_MAX], name[64], value[32];
	char *line = NULL;
	size_t linecap = 0;
	FILE *f;

	f = open_net(o, "xtcp_stat", path, sizeof(path));
	if (!f) {
		int err = errno;
		char probe[PATH_MAX];

		snprintf(probe, sizeof(probe), "%s/net/xtcp", o->proc);
		if (err == ENOENT && access(probe, F_OK))
			die("xtcp not loaded (no %s)", probe);
		die("%s: %s", path, strerror(err));
	}
	while (getline(&line, &linecap, f) >= 0) {
		char *end;
		unsigned long long v;

		if (sscanf(line, "%63s %31s", name, value) != 2)
			die("%s: not a 'Name value' line: %s", path, line);
		errno = 0;
		v = strtoull(value, &end, 10);
		if (errno || *end)
			die("%s: not a number: %s", path, line);
		if (o->nonzero && !v)
			continue;
		printf("%-24s %llu\n", name, v);
	}
	free(line);
	fclose(f);
	return 0;
}

/* ---- transitions ---- */

static int show_matrix(const struct opts *o)
{
	struct trans t;
	size_t i, j;
	bool illegal = false;
	char cell[32];

	read_trans(o, &t);
	if (!o->no_header) {
		printf("%-11s", "from\\to");
		for (j = 0; j < ARRAY_SIZE(state_order); j++)
			printf(" %11s", xtcp_state_name(state_order[j]));
		putchar('\n');
	}
	for (i = 0; i < ARRAY_SIZE(state_order); i++) {
		int a = state_order[i];

		printf("%-11s", xtcp_state_name(a));
		for (j = 0; j < ARRAY_SIZE(state_order); j++) {
			int b = state_order[j];

			if (xtcp_edge_legal(a, b)) {
				snprintf(cell, sizeof(cell), "%llu", t.n[a][b]);
			} else if (t.n[a][b]) {
				snprintf(cell, sizeof(cell), "%llu!", t.n[a][b]);
				illegal = true;
			} else {
				snprintf(cell, sizeof(cell), ".");
			}
			printf(" %11s", cell);
		}
		putchar('\n');
	}
	if (!o->no_header)
		printf("('.' not an edge of the state diagram, %s)\n",
		       "'N!' an illegal edge taken N times");
	if (illegal) {
		for (i = 0; i < ARRAY_SIZE(state_order); i++) {
			for (j = 0; j < ARRAY_SIZE(state_order); j++) {
				int a = state_order[i], b = state_order[j];

				if (!xtcp_edge_legal(a, b) && t.n[a][b])
					printf("illegal: %s -> %s %llu\n",
					       xtcp_state_name(a),
					       xtcp_state_name(b), t.n[a][b]);
			}
		}
	}
	return 0;
}

/* The usual paths: a client's (active open and close), a server's. */
static bool client_path(int a, int b)
{
	return (a == XTCP_CLOSE && b == XTCP_SYN_SENT) ||
	       (a == XTCP_SYN_SENT && b == XTCP_ESTABLISHED) ||
	       (a == XTCP_ESTABLISHED && b == XTCP_FIN_WAIT1) ||
	       (a == XTCP_FIN_WAIT1 && b == XTCP_FIN_WAIT2) ||
	       (a == XTCP_FIN_WAIT2 && b == XTCP_TIME_WAIT) ||
	       (a == XTCP_TIME_WAIT && b == XTCP_CLOSE);
}

static bool server_path(int a, int b)
{
	return (a == XTCP_CLOSE && b == XTCP_LISTEN) ||
	       (a == XTCP_LISTEN && b == XTCP_SYN_RECV) ||
	       (a == XTCP_SYN_RECV && b == XTCP_ESTABLISHED) ||
	       (a == XTCP_ESTABLISHED && b == XTCP_CLOSE_WAIT) ||
	       (a == XTCP_CLOSE_WAIT && b == XTCP_LAST_ACK) ||
	       (a == XTCP_LAST_ACK && b == XTCP_CLOSE);
}

/*
 * The classic picture: CLOSED on top, LISTEN below it, the two opens side
 * by side, ESTABLISHED, then the active close down the left and the
 * passive close down the right.  Edges back to CLOSED do not rank it.
 */
static int show_diagram(const struct opts *o)
{
	/* each rank's nodes, left to right (held there by invisible edges) */
	static const char *const ranks[][3] = {
		{ "SYN_RCVD", "SYN_SENT" },
		{ "FIN_WAIT_1", "CLOSE_WAIT" },
		{ "FIN_WAIT_2", "CLOSING", "LAST_ACK" },
	};
	struct trans t;
	size_t i, j;

	read_trans(o, &t);
	printf("digraph xtcp {\n");
	printf("\tgraph [label=\"%s\\n%s\", labelloc=t, fontsize=12, nodesep=0.5, ranksep=0.45];\n",
	       "xtcp state transitions, each edge labelled with how often the namespace took it",
	       "blue: a client's path, green: a server's, dashed grey: never taken, red: illegal");
	printf("\tnode [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
	printf("\tedge [fontname=\"Helvetica\", fontsize=10];\n");
	for (i = 0; i < ARRAY_SIZE(state_order); i++)
		printf("\t\"%s\" [label=\"%s\"];\n",
		       xtcp_state_name(state_order[i]),
		       xtcp_state_name(state_order[i]));
	for (i = 0; i < ARRAY_SIZE(ranks); i++) {
		printf("\t{ rank=same;");
		for (j = 0; j < ARRAY_SIZE(ranks[i]) && ranks[i][j]; j++)
			printf(" \"%s\";", ranks[i][j]);
		for (j = 1; j < ARRAY_SIZE(ranks[i]) && ranks[i][j]; j++)
			printf(" \"%s\" -> \"%s\" [style=invis];",
			       ranks[i][j - 1], ranks[i][j]);
		printf(" }\n");
	}
	for (i = 0; i < ARRAY_SIZE(state_order); i++) {
		for (j = 0; j < ARRAY_SIZE(state_order); j++) {
			int a = state_order[i], b = state_order[j];
			unsigned long long v = t.n[a][b];
			bool legal = xtcp_edge_legal(a, b);
			const char *color = "black";

			if (!legal && !v)
				continue;
			if (client_path(a, b))
				color = "blue";
			else if (server_path(a, b))
				color = "darkgreen";
			printf("\t\"%s\" -> \"%s\" [label=\"%llu%s\"",
			       xtcp_state_name(a), xtcp_state_name(b), v,
			       legal ? "" : " (illegal)");
			if (!legal)
				printf(", color=red, fontcolor=red, penwidth=2");
			else if (!v)
				printf(", style=dashed, color=grey, fontcolor=grey");
			else
				printf(", color=%s%s", color,
				       strcmp(color, "black") ? ", penwidth=2" : "");
			if (b == XTCP_CLOSE || !legal)
				printf(", constraint=false");
			printf("];\n");
		}
	}
	printf("}\n");
	return 0;
}

/* ---- CLOSE_WAIT leaks ---- */

/**
 * struct owner - a process holding a leaked socket
 * @inode: the socket
 * @pid: the process
 * @fd: the descriptor
 * @comm: its command name
 */
struct owner {
	unsigned long inode;
	long pid;
	long fd;
	char comm[64];
};

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static void read_comm(const struct opts *o, const char *pid, char *comm,
		      size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(comm, len, "?");
	snprintf(path, sizeof(path), "%s/%s/comm", o->proc, pid);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(comm, len, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

/*
 * Every (process, fd) whose PROC/PID/fd/N links to "socket:[I]" for an
 * inode I of @inodes.  Processes we may not look into are passed over.
 */
static struct owner *find_owners(const struct opts *o,
				 const unsigned long *inodes, size_t ninodes,
				 size_t *nowners)
{
	struct owner *owners = NULL;
	size_t cap = 0;
	struct dirent *p, *d;
	DIR *procdir, *fddir;

	*nowners = 0;
	procdir = opendir(o->proc);
	if (!procdir)
		die("%s: %s", o->proc, strerror(errno));
	while ((p = readdir(procdir))) {
		char path[PATH_MAX], link[64], comm[64];
		bool have_comm = false;

		if (!all_digits(p->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s/fd", o->proc, p->d_name);
		fddir = opendir(path);
		if (!fddir)
			continue;
		while ((d = readdir(fddir))) {
			char fdpath[PATH_MAX + 300];
			unsigned long ino;
			ssize_t len;
			size_t k;

			if (!all_digits(d->d_name))
				continue;
			snprintf(fdpath, sizeof(fdpath), "%s/%s", path, d->d_name);
			len = readlink(fdpath, link, sizeof(link) - 1);
			if (len < 0)
				continue;
			link[len] = '\0';
			if (sscanf(link, "socket:[%lu]", &ino) != 1)
				continue;
			for (k = 0; k < ninodes; k++)
				if (inodes[k] == ino)
					break;
			if (k == ninodes)
				continue;
			if (!have_comm) {
				read_comm(o, p->d_name, comm, sizeof(comm));
				have_comm = true;
			}
			if (*nowners == cap) {
				cap = cap ? cap * 2 : 16;
				owners = xrealloc(owners, cap * sizeof(*owners));
			}
			owners[*nowners].inode = ino;
			owners[*nowners].pid = atol(p->d_name);
			owners[*nowners].fd = atol(d->d_name);
			snprintf(owners[*nowners].comm, sizeof(owners->comm), "%s",
				 comm);
			(*nowners)++;
		}
		closedir(fddir);
	}
	closedir(procdir);
	return owners;
}

static int cmp_owner(const void *a, const void *b)
{
	const struct owner *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->fd < y->fd ? -1 : x->fd > y->fd;
}

static int show_leaks(const struct opts *o)
{
	unsigned long min_ms = (unsigned long)(o->leak_secs * 1000 + 0.5);
	char local[64], peer[64];
	unsigned long *inodes;
	struct owner *owners;
	size_t i, k, n, nleaks = 0, nowners = 0;
	struct row *rows;

	rows = read_rows(o, &n);
	inodes = xrealloc(NULL, (n + 1) * sizeof(*inodes));
	for (i = 0; i < n; i++)
		if (row_selected(o, &rows[i]) && rows[i].state_ms >= min_ms)
			inodes[nleaks++] = rows[i].inode;
	owners = nleaks ? find_owners(o, inodes, nleaks, &nowners) : NULL;
	if (owners)
		qsort(owners, nowners, sizeof(*owners), cmp_owner);
	if (nleaks && !o->no_header)
		printf("%-21s %-21s %6s %8s %-13s %s\n", "Local Address:Port",
		       "Peer Address:Port", "Recv-Q", "Inode", "In CLOSE_WAIT",
		       "Process");
	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		bool first = true;
		char since[32];

		if (!row_selected(o, r) || r->state_ms < min_ms)
			continue;
		fmt_endpoint(local, sizeof(local), r, true);
		fmt_endpoint(peer, sizeof(peer), r, false);
		snprintf(since, sizeof(since), "%lu.%03lus", r->state_ms / 1000,
			 r->state_ms % 1000);
		printf("%-21s %-21s %6lu %8lu %-13s ", local, peer, r->rxq,
		       r->inode, since);
		for (k = 0; k < nowners; k++) {
			if (owners[k].inode != r->inode || !r->inode)
				continue;
			printf("%s(\"%s\",pid=%ld,fd=%ld)",
			       first ? "users:(" : ",", owners[k].comm,
			       owners[k].pid, owners[k].fd);
			first = false;
		}
		printf("%s\n", first ? "-" : ")");
	}
	if (nleaks)
		printf("%zu CLOSE_WAIT socket%s for %g s or longer: %s\n",
		       nleaks, nleaks == 1 ? "" : "s", o->leak_secs,
		       "the peer closed, the program did not");
	else
		printf("no CLOSE_WAIT socket for %g s or longer\n", o->leak_secs);
	free(owners);
	free(inodes);
	free(rows);
	return nleaks ? EXIT_LEAKS : 0;
}

/* ---- main ---- */

static int show(const struct opts *o)
{
	switch (o->view) {
	case VIEW_SUMMARY:
		return show_summary(o);
	case VIEW_COUNTERS:
		return show_counters(o);
	case VIEW_MATRIX:
		return show_matrix(o);
	case VIEW_DIAGRAM:
		return show_diagram(o);
	case VIEW_LEAKS:
		return show_leaks(o);
	default:
		return show_list(o);
	}
}

static void enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("--netns %s: %s: %s", name, path, strerror(errno));
	if (setns(fd, CLONE_NEWNET))
		die("--netns %s: setns: %s", name, strerror(errno));
	close(fd);
}

/*
 * Redraw until SIGINT or SIGTERM (or --count): the signals stay blocked
 * while a view is drawn and end the wait between two.
 */
static int watch(const struct opts *o)
{
	bool tty = isatty(STDOUT_FILENO);
	struct timespec ts;
	sigset_t set;
	long n;
	int rc = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	ts.tv_sec = (time_t)o->interval;
	ts.tv_nsec = (long)((o->interval - (double)ts.tv_sec) * 1e9);
	for (n = 1;; n++) {
		time_t now = time(NULL);
		char stamp[32];

		strftime(stamp, sizeof(stamp), "%H:%M:%S", localtime(&now));
		if (tty)
			fputs("\033[H\033[2J", stdout);
		printf("Every %gs: xtcpstat, refresh %ld at %s\n", o->interval,
		       n, stamp);
		rc = show(o);
		fflush(stdout);
		if (o->count && n >= o->count)
			break;
		if (sigtimedwait(&set, NULL, &ts) >= 0)
			break;
		if (!tty)
			putchar('\n');
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };

	parse_args(argc, argv, &o);
	if (o.netns)
		enter_netns(o.netns);
	if (o.watch)
		return watch(&o);
	return show(&o);
}
