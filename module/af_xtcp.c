// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp: module init/exit, module parameters, the AF_XTCP socket family
 * (socket() is xtcp_create(); the sockets themselves are proto.c's).
 *
 * Reference counting a reader can follow:
 *  - __sock_create() takes a module reference through net_proto_family.owner
 *    and moves it to proto_ops.owner once xtcp_create() succeeds: a live
 *    struct socket pins the module until sock_release().
 *  - sk_alloc() takes another through proto.owner, dropped when the last
 *    sock reference goes (sk_free): a struct sock that outlives its socket
 *    (an orphan still closing) still pins the module.
 *  - A TIME_WAIT entry (struct xtcp_tw) is not a sock and pins nothing:
 *    its namespace's exit frees it, at module unload too.
 *  - The namespace's socket list does not hold a sock reference: a socket is
 *    unlinked by its destructor (proto.c), as its last reference goes.
 */
#define pr_fmt(fmt) "xtcp: " fmt

#include <linux/in.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <net/inet_sock.h>

#include "xtcp.h"

int xtcp_family = AF_XTCP_DEFAULT;
XTCP_EXPORT_IF_KUNIT(xtcp_family);
module_param_named(family, xtcp_family, int, 0444);
MODULE_PARM_DESC(family, "socket family number to register (default 19, free since AF_ECONET left in Linux 3.5)");

int xtcp_ipproto = IPPROTO_XTCP_DEFAULT;
EXPORT_SYMBOL_GPL(xtcp_ipproto);	/* for xtcp_fault.ko */
module_param_named(proto, xtcp_ipproto, int, 0444);
MODULE_PARM_DESC(proto, "IP protocol number to use (default 253, RFC 3692 experimental)");

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
	/* SOL_SOCKET options through xtcp_setsockopt(): compat.h */
	xtcp_sock_custom_sockopt(sock);
	sock_init_data(sock, sk);
	xtcp_init_new_sock(sk);
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
	xtcp_syncookies_init();
	xtcp_output_init();

	err = xtcp_mem_init();
	if (err)
		return err;
	xtcp_mem_proto_init(&xtcp_prot);
	err = proto_register(&xtcp_prot, 1);
	if (err)
		goto out_mem;
	err = xtcp_tw_init();
	if (err)
		goto out_proto;
	err = xtcp_netns_init();
	if (err)
		goto out_tw;
	err = xtcp_mem_sysctl_init();
	if (err)
		goto out_netns;
	err = xtcp_ipv4_init();
	if (err)
		goto out_mem_sysctl;
	err = xtcp_ipv6_init();
	if (err)
		goto out_ipv4;
	err = sock_register(&xtcp_family_ops);
	if (err) {
		pr_err("socket family %d is taken (%d): load with family=N\n",
		       xtcp_family, err);
		goto out_ipv6;
	}
	pr_info("family %d, IP protocol %d\n", xtcp_family, xtcp_ipproto);
	return 0;

out_ipv6:
	xtcp_ipv6_exit();
out_ipv4:
	xtcp_ipv4_exit();
out_mem_sysctl:
	xtcp_mem_sysctl_exit();
out_netns:
	xtcp_netns_exit();
out_tw:
	xtcp_tw_exit();
out_proto:
	proto_unregister(&xtcp_prot);
out_mem:
	xtcp_mem_exit();
	return err;
}

static void __exit xtcp_exit(void)
{
	/*
	 * No new sockets; existing ones (closing orphans included) pin the
	 * module, so there are none.  TIME_WAIT entries do not: once the
	 * protocol handler is gone (no receiver can hold one), each
	 * namespace's exit frees its entries and stops its reaper.
	 */
	sock_unregister(xtcp_family);
	xtcp_ipv6_exit();
	xtcp_ipv4_exit();
	xtcp_mem_sysctl_exit();
	xtcp_netns_exit();
	xtcp_tw_exit();
	proto_unregister(&xtcp_prot);
	xtcp_mem_exit();
}

module_init(xtcp_init);
module_exit(xtcp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("xtcp: an experimental TCP variant with its own socket family");
MODULE_AUTHOR("The xtcp developers");
MODULE_ALIAS_NETPROTO(AF_XTCP_DEFAULT);
