/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * xtcp: an experimental TCP variant with its own socket family and its own
 * IP protocol number.  This header is the user-space interface: it builds in
 * plain C programs (only <linux/types.h> and <sys/socket.h>-compatible types)
 * as well as in the kernel module.
 *
 * Socket family
 *   AF_XTCP defaults to 19.  19 was AF_ECONET, whose implementation left the
 *   kernel in Linux 3.5; no kernel since (and so neither Debian's 6.1 nor its
 *   6.12) registers a socket family on it, and it is below AF_MAX (46), the
 *   bound sock_register() enforces.  The module parameter `family` moves it
 *   to another free number if a future kernel takes 19; programs then read the
 *   number from /sys/module/xtcp/parameters/family (see xtcp_family() in
 *   tools/ or the selftests' helpers).
 *
 * IP protocol
 *   IPPROTO_XTCP defaults to 253, one of the two numbers RFC 3692 reserves
 *   for experimentation and testing; the module parameter `proto` overrides.
 *
 * Addresses
 *   xtcp addresses have the layout of struct sockaddr_in.  sin_family may be
 *   AF_XTCP or AF_INET on input, so IPv4 programs can be pointed at xtcp with
 *   only the socket() call changed.  A socket given a struct sockaddr_in6
 *   while unbound takes and reports struct sockaddr_in6 from then on, as
 *   an AF_INET6 TCP socket (IPv4 peers v4-mapped).
 */
#ifndef _UAPI_LINUX_XTCP_H
#define _UAPI_LINUX_XTCP_H

#include <linux/types.h>

#define AF_XTCP_DEFAULT		19
#define IPPROTO_XTCP_DEFAULT	253

#ifndef AF_XTCP
#define AF_XTCP			AF_XTCP_DEFAULT
#endif
#ifndef PF_XTCP
#define PF_XTCP			AF_XTCP
#endif
#ifndef IPPROTO_XTCP
#define IPPROTO_XTCP		IPPROTO_XTCP_DEFAULT
#endif

/**
 * struct sockaddr_xtcp - an xtcp endpoint address
 * @sxtcp_family: AF_XTCP (or AF_INET, accepted on input)
 * @sxtcp_port: port, network byte order
 * @sxtcp_addr: IPv4 address, network byte order
 * @sxtcp_zero: padding to the size of struct sockaddr; must be zero
 *
 * Byte for byte the layout of struct sockaddr_in, so either may be passed.
 */
struct sockaddr_xtcp {
	__u16	sxtcp_family;
	__be16	sxtcp_port;
	__be32	sxtcp_addr;
	__u8	sxtcp_zero[8];
};

/*
 * Connection states.  The numbers are those of Linux TCP's states, so that
 * /proc/net/xtcp's "st" column reads like /proc/net/tcp's.
 */
enum xtcp_state {
	XTCP_ESTABLISHED = 1,
	XTCP_SYN_SENT,
	XTCP_SYN_RECV,
	XTCP_FIN_WAIT1,
	XTCP_FIN_WAIT2,
	XTCP_TIME_WAIT,
	XTCP_CLOSE,
	XTCP_CLOSE_WAIT,
	XTCP_LAST_ACK,
	XTCP_LISTEN,
	XTCP_CLOSING,
	XTCP_MAX_STATES		/* one past the last state; not a state */
};

/*
 * Socket options at level SOL_XTCP, the protocol number (as SOL_TCP is
 * IPPROTO_TCP).  Numbers follow TCP's option of the same meaning.
 */
#define SOL_XTCP		IPPROTO_XTCP
/*
 * Keepalive (with SO_KEEPALIVE on): XTCP_KEEPIDLE idle seconds before the
 * first probe, XTCP_KEEPINTVL seconds between probes (both int 1..32767),
 * XTCP_KEEPCNT unanswered probes (1..127) before ETIMEDOUT.
 */
#define XTCP_KEEPIDLE		4
#define XTCP_KEEPINTVL		5
#define XTCP_KEEPCNT		6
#define XTCP_SYNCNT		7	/* int 1..127: SYNs resent before ETIMEDOUT */
/*
 * XTCP_LINGER2: seconds a closed (orphaned) connection may wait in
 * FIN_WAIT_2 for the peer's FIN; 0: the default (60), above 120: 120,
 * negative: reset at once instead of waiting.
 */
#define XTCP_LINGER2		8
#define XTCP_INFO		11	/* struct xtcp_info, read-only */
/*
 * XTCP_USER_TIMEOUT: unsigned int ms (0: off), how long sent data may stay
 * unacknowledged before the connection ends with ETIMEDOUT.
 */
#define XTCP_USER_TIMEOUT	18
/*
 * XTCP_REUSEPORT: int, SO_REUSEPORT's flag (TCP's semantics).  Kernels
 * whose generic SOL_SOCKET code keeps SO_REUSEPORT to AF_INET/AF_INET6
 * and lets no other family take it over (6.1) answer SO_REUSEPORT with
 * EOPNOTSUPP: this sets the same flag.  xtcp's own number, above TCP's.
 */
#define XTCP_REUSEPORT		128

/**
 * struct xtcp_info - per-connection facts, from getsockopt(XTCP_INFO)
 * @xtcpi_state: an enum xtcp_state value
 * @xtcpi_pad: reserved, zero
 * @xtcpi_state_ms: milliseconds spent in the current state
 *
 * Fields are only ever appended; a shorter optlen gets a prefix of them.
 */
struct xtcp_info {
	__u8	xtcpi_state;
	__u8	xtcpi_pad[7];
	__u64	xtcpi_state_ms;
};

#endif /* _UAPI_LINUX_XTCP_H */
