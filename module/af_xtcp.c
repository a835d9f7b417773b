// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: module init/exit, module parameters, the AF_XTCP socket family and
 * its socket operations.
 *
 * Reference counting a reader can follow:
 *  - __sock_create() takes a module reference through net_proto_family.owner
 *    and moves it to proto_ops.owner once xtcp_create() succeeds: a live
 *    struct socket pins the module until sock_release().
 *  - sk_alloc() takes another through proto.owner, dropped when the last
 *    sock reference goes (sk_free): a struct sock that outlives its socket
 *    (later: TIME_WAIT, orphans) still pins the module.
 *  - The namespace's socket list does not hold a sock reference: a socket is
 *    unlinked in xtcp_release() before its owner's reference is dropped.
 */
#define pr_fmt(fmt) "xtcp: " fmt

#include <linux/in.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <net/inet_sock.h>

#include "xtcp.h"

int xtcp_family = AF_XTCP_DEFAULT;
module_param_named(family, xtcp_family, int, 0444);
MODULE_PARM_DESC(family, "socket family number to register (default 19, free since AF_ECONET left in Linux 3.5)");

int xtcp_ipproto = IPPROTO_XTCP_DEFAULT;
module_param_named(proto, xtcp_ipproto, int, 0444);
MODULE_PARM_DESC(proto, "IP protocol number to use (default 253, RFC 3692 experimental)");

/**
 * xtcp_set_state() - move a socket to a new state
 * @sk: the socket, locked by the caller (or not yet visible)
 * @state: an enum xtcp_state value
 *
 * The single place sk_state changes, so the time-in-state clock (and later
 * the tracepoint and the transition counters) cannot be bypassed.
 */
void xtcp_set_state(struct sock *sk, int state)
{
	if (sk->sk_state == state)
		return;
	/* pairs with inet_sk_state_load() in lockless readers (poll, /proc) */
	smp_store_release(&sk->sk_state, state);
	xtcp_sk(sk)->xs_state_since = jiffies;
}

static void xtcp_sock_destruct(struct sock *sk)
{
	WARN_ON_ONCE(!hlist_unhashed(&xtcp_sk(sk)->xs_node));
	WARN_ON_ONCE(!sock_flag(sk, SOCK_DEAD));
}

static int xtcp_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;

	xtcp_sock_unlink(sk);
	lock_sock(sk);
	xtcp_set_state(sk, XTCP_CLOSE);
	sock_orphan(sk);
	release_sock(sk);
	sock->sk = NULL;
	sock_put(sk);		/* the reference sk_alloc() gave the socket */
	return 0;
}

/*
 * Addresses are reported in sockaddr_in form with sin_family AF_INET, the
 * layout struct sockaddr_xtcp shares, so IPv4 programs format them as usual.
 * SO_DOMAIN still answers AF_XTCP.
 */
static int xtcp_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)uaddr;
	struct sock *sk = sock->sk;
	struct inet_sock *inet = inet_sk(sk);

	lock_sock(sk);
	if (peer && sk->sk_state != XTCP_ESTABLISHED &&
	    sk->sk_state != XTCP_CLOSE_WAIT) {
		release_sock(sk);
		return -ENOTCONN;
	}
	sin->sin_family = AF_INET;
	if (peer) {
		sin->sin_port = inet->inet_dport;
		sin->sin_addr.s_addr = inet->inet_daddr;
	} else {
		sin->sin_port = inet->inet_sport;
		sin->sin_addr.s_addr = inet->inet_rcv_saddr;
	}
	release_sock(sk);
	memset(sin->sin_zero, 0, sizeof(sin->sin_zero));
	return sizeof(*sin);
}

/* Level SOL_SOCKET never gets here: the socket core handles it. */
static int xtcp_setsockopt(struct socket *sock, int level, int optname,
			   sockptr_t optval, unsigned int optlen)
{
	return -ENOPROTOOPT;
}

/*
 * Readiness bits as tcp_poll() computes them; for now only the CLOSED
 * socket exists, which TCP reports as writable and hung up.
 */
static __poll_t xtcp_poll(struct file *file, struct socket *sock,
			  poll_table *wait)
{
	struct sock *sk = sock->sk;
	__poll_t mask = 0;

	sock_poll_wait(file, sock, wait);
	if (READ_ONCE(sk->sk_err))
		mask |= EPOLLERR;
	if (inet_sk_state_load(sk) == XTCP_CLOSE)
		mask |= EPOLLHUP | EPOLLOUT | EPOLLWRNORM;
	return mask;
}

static int xtcp_getsockopt(struct socket *sock, int level, int optname,
			   char __user *optval, int __user *optlen)
{
	struct sock *sk = sock->sk;
	struct xtcp_info info;
	int len;

	if (level != xtcp_ipproto)
		return -ENOPROTOOPT;
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;

	switch (optname) {
	case XTCP_INFO:
		memset(&info, 0, sizeof(info));
		lock_sock(sk);
		info.xtcpi_state = sk->sk_state;
		info.xtcpi_state_ms =
			jiffies_to_msecs(jiffies - xtcp_sk(sk)->xs_state_since);
		release_sock(sk);
		len = min_t(int, len, sizeof(info));
		if (copy_to_user(optval, &info, len))
			return -EFAULT;
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (put_user(len, optlen))
		return -EFAULT;
	return 0;
}

/*
 * .family is informational for a proto_ops (the kernel dispatches on
 * net_proto_family.family, set from the module parameter at load); it holds
 * the default number so the table can stay const.
 */
static const struct proto_ops xtcp_stream_ops = {
	.family		= AF_XTCP_DEFAULT,
	.owner		= THIS_MODULE,
	.release	= xtcp_release,
	.bind		= sock_no_bind,
	.connect	= sock_no_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sock_no_accept,
	.getname	= xtcp_getname,
	.poll		= xtcp_poll,
	.ioctl		= sock_no_ioctl,
	.listen		= sock_no_listen,
	.shutdown	= sock_no_shutdown,
	.setsockopt	= xtcp_setsockopt,
	.getsockopt	= xtcp_getsockopt,
	.sendmsg	= sock_no_sendmsg,
	.recvmsg	= sock_no_recvmsg,
	.mmap		= sock_no_mmap,
};

static struct proto xtcp_prot = {
	.name		= "XTCP",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct xtcp_sock),
};

static int xtcp_create(struct net *net, struct socket *sock, int protocol,
		       int kern)
{
	struct sock *sk;

	/* The same checks, in the same order, as inet_create(). */
	if (protocol < 0 || protocol >= IPPROTO_MAX)
		return -EINVAL;
	if (sock->type != SOCK_STREAM)
		return -ESOCKTNOSUPPORT;
	if (protocol && protocol != xtcp_ipproto)
		return -EPROTONOSUPPORT;

	sk = sk_alloc(net, xtcp_family, GFP_KERNEL, &xtcp_prot, kern);
	if (!sk)
		return -ENOBUFS;

	sock->state = SS_UNCONNECTED;
	sock->ops = &xtcp_stream_ops;
	sock_init_data(sock, sk);
	sk->sk_protocol = xtcp_ipproto;
	sk->sk_destruct = xtcp_sock_destruct;
	INIT_HLIST_NODE(&xtcp_sk(sk)->xs_node);
	sk->sk_state = XTCP_CLOSE;
	xtcp_sk(sk)->xs_state_since = jiffies;
	xtcp_sock_link(sk);
	return 0;
}

/* Not const: .family comes from the module parameter. */
static struct net_proto_family xtcp_family_ops __ro_after_init = {
	.create	= xtcp_create,
	.owner	= THIS_MODULE,
};

static int __init xtcp_init(void)
{
	int err;

	if (xtcp_family <= AF_UNSPEC || xtcp_family >= NPROTO) {
		pr_err("family=%d: must be 1..%d\n", xtcp_family, NPROTO - 1);
		return -EINVAL;
	}
	if (xtcp_ipproto <= 0 || xtcp_ipproto > 255) {
		pr_err("proto=%d: must be 1..255\n", xtcp_ipproto);
		return -EINVAL;
	}
	xtcp_family_ops.family = xtcp_family;

	err = proto_register(&xtcp_prot, 1);
	if (err)
		return err;
	err = xtcp_netns_init();
	if (err)
		goto out_proto;
	err = xtcp_ipv4_init();
	if (err)
		goto out_netns;
	err = sock_register(&xtcp_family_ops);
	if (err) {
		pr_err("socket family %d is taken (%d): load with family=N\n",
		       xtcp_family, err);
		goto out_ipv4;
	}
	pr_info("family %d, IP protocol %d\n", xtcp_family, xtcp_ipproto);
	return 0;

out_ipv4:
	xtcp_ipv4_exit();
out_netns:
	xtcp_netns_exit();
out_proto:
	proto_unregister(&xtcp_prot);
	return err;
}

static void __exit xtcp_exit(void)
{
	/* No new sockets; existing ones pin the module, so there are none. */
	sock_unregister(xtcp_family);
	xtcp_ipv4_exit();
	xtcp_netns_exit();
	proto_unregister(&xtcp_prot);
}

module_init(xtcp_init);
module_exit(xtcp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("xtcp: an experimental TCP variant with its own socket family");
MODULE_AUTHOR("The xtcp developers");
MODULE_ALIAS_NETPROTO(AF_XTCP_DEFAULT);
