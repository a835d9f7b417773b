// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: offload.c, a run cut into segments (GSO).  A run is built as
 * xtcp_transmit_skb() builds one -- an IPv4 datagram, our header, the
 * payload in a page fragment, gso_size the MSS, SKB_GSO_SCTP,
 * CHECKSUM_PARTIAL with the pseudo-header's seed -- and handed to the
 * stack's own __skb_gso_segment(), which finds xtcp_gso_segment() through
 * inet_gso_segment() by the protocol number, as a device without GSO
 * would.  Each segment must come back with its own sequence number, the
 * run's flags (PSH and FIN on the last only), its share of the payload
 * and a checksum the receiver accepts, whether the device sums (the
 * pseudo-header seeded again) or not (the whole sum in software).
 */
#include <kunit/test.h>
#include <linux/ip.h>
#include <linux/netdevice.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>

#include "harness.h"

#define XKT_RUN_MSS	1000
#define XKT_RUN_SEQ	0xfffff000U	/* wraps inside the run */
#define XKT_RUN_SADDR	htonl(0x0a000001)
#define XKT_RUN_DADDR	htonl(0x0a000002)

static u8 run_byte(unsigned int off)
{
	return (u8)(off * 7 + 3);
}

/*
 * The run: @len bytes of payload behind a header with @flags (the core's
 * xtcp_build()), its Data Offset set to @hdr_len bytes.
 */
static struct sk_buff *run_skb(struct kunit *test, unsigned int len, u8 flags,
			       unsigned int hdr_len)
{
	unsigned int room = MAX_HEADER + sizeof(struct iphdr) + XTCP_HDR_LEN;
	const struct xtcp_seg h = {
		.sport = 40000, .dport = 80, .seq = XKT_RUN_SEQ,
		.flags = flags, .window = 0xff00,
	};
	u8 hdr[XTCP_MAX_HDR_LEN], *th, *p;
	struct sk_buff *skb;
	struct iphdr *iph;
	struct page *page;
	unsigned int i;

	KUNIT_ASSERT_LE(test, len, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, xtcp_build(hdr, sizeof(hdr), &h), XTCP_HDR_LEN);
	hdr[12] = (hdr_len / 4) << 4 | (hdr[12] & 0x0f);
	skb = alloc_skb(room, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	page = alloc_page(GFP_KERNEL);
	if (!page)
		kfree_skb(skb);
	KUNIT_ASSERT_NOT_NULL(test, page);
	skb_reserve(skb, room);
	p = page_address(page);
	for (i = 0; i < len; i++)
		p[i] = run_byte(i);
	skb_fill_page_desc(skb, 0, page, 0, len);
	skb->len += len;
	skb->data_len += len;
	skb->truesize += PAGE_SIZE;

	th = skb_push(skb, XTCP_HDR_LEN);
	skb_reset_transport_header(skb);
	memcpy(th, hdr, XTCP_HDR_LEN);
	*(__sum16 *)(th + 16) = ~csum_tcpudp_magic(XKT_RUN_SADDR, XKT_RUN_DADDR,
						   skb->len, xtcp_ipproto, 0);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = th - skb->head;
	skb->csum_offset = 16;

	iph = skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->protocol = xtcp_ipproto;
	iph->saddr = XKT_RUN_SADDR;
	iph->daddr = XKT_RUN_DADDR;
	iph->tot_len = htons(skb->len);
	ip_send_check(iph);
	skb_reset_mac_header(skb);
	skb->mac_len = 0;
	skb->protocol = htons(ETH_P_IP);

	skb_shinfo(skb)->gso_size = XKT_RUN_MSS;
	skb_shinfo(skb)->gso_segs = DIV_ROUND_UP(len, XKT_RUN_MSS);
	skb_shinfo(skb)->gso_type = SKB_GSO_SCTP;
	return skb;
}

/*
 * One segment of a cut run: @k-th, @last or not.  Its IP header, its
 * header's sequence number and flags, its payload, and its checksum once
 * the device (here skb_checksum_help()) has summed what was left to it.
 * Expectations only: the caller frees every segment whatever fails.
 */
static void check_segment(struct kunit *test, struct sk_buff *seg,
			  unsigned int k, unsigned int len, bool last, u8 flags)
{
	unsigned int off = k * XKT_RUN_MSS, thoff, i;
	const struct iphdr *iph = ip_hdr(seg);
	unsigned int want = last ? len - off : XKT_RUN_MSS;
	u8 th[XTCP_HDR_LEN], b;
	struct xtcp_seg h;
	__wsum sum;

	KUNIT_EXPECT_EQ(test, ntohs(iph->tot_len), seg->len - skb_network_offset(seg));
	KUNIT_EXPECT_EQ(test, (__force u16)ip_fast_csum(iph, iph->ihl), 0);
	thoff = skb_transport_offset(seg);
	KUNIT_EXPECT_EQ(test, seg->len - thoff, XTCP_HDR_LEN + want);
	if (seg->len - thoff != XTCP_HDR_LEN + want ||
	    skb_copy_bits(seg, thoff, th, sizeof(th)))
		return;
	if (xtcp_parse(th, sizeof(th), &h) != XTCP_PARSE_OK) {
		KUNIT_FAIL(test, "segment %u: its header does not parse", k);
		return;
	}
	KUNIT_EXPECT_EQ(test, h.seq, XKT_RUN_SEQ + off);
	KUNIT_EXPECT_EQ(test, h.flags,
			last ? flags : flags & ~(XTCP_PSH | XTCP_FIN));
	for (i = 0; i < want; i++) {
		if (skb_copy_bits(seg, thoff + XTCP_HDR_LEN + i, &b, 1) ||
		    b != run_byte(off + i)) {
			KUNIT_FAIL(test, "segment %u: byte %u is 0x%02x", k, i, b);
			break;
		}
	}

	if (seg->ip_summed == CHECKSUM_PARTIAL &&
	    skb_checksum_help(seg)) {
		KUNIT_FAIL(test, "segment %u: skb_checksum_help() failed", k);
		return;
	}
	iph = ip_hdr(seg);	/* the head may have moved */
	sum = skb_checksum(seg, thoff, seg->len - thoff, 0);
	KUNIT_EXPECT_EQ(test, (__force u16)csum_tcpudp_magic(iph->saddr, iph->daddr,
							     seg->len - thoff,
							     xtcp_ipproto, sum), 0);
}

/* Cut a run of @len bytes with @flags for a device with @features. */
static void cut_run(struct kunit *test, unsigned int len, u8 flags,
		    netdev_features_t features)
{
	struct sk_buff *skb = run_skb(test, len, flags, XTCP_HDR_LEN);
	bool sums = features & NETIF_F_HW_CSUM;
	struct sk_buff *segs, *seg, *next;
	unsigned int k = 0;

	segs = __skb_gso_segment(skb, features, true);
	if (IS_ERR_OR_NULL(segs))
		kfree_skb(skb);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(segs));
	for (seg = segs; seg; seg = next, k++) {
		next = seg->next;
		/* the device's part of the sum, or none left to it */
		KUNIT_EXPECT_EQ(test, (int)seg->ip_summed,
				sums ? CHECKSUM_PARTIAL : CHECKSUM_NONE);
		check_segment(test, seg, k, len, !next, flags);
		kfree_skb(seg);
	}
	KUNIT_EXPECT_EQ(test, k, DIV_ROUND_UP(len, XKT_RUN_MSS));
	consume_skb(skb);
}

/* A device that sums: each piece's pseudo-header seeded again. */
static void run_cut_for_a_summing_device(struct kunit *test)
{
	cut_run(test, 3 * XKT_RUN_MSS + 123, XTCP_ACK | XTCP_PSH,
		NETIF_F_SG | NETIF_F_HW_CSUM);
}

/* A device that does not: the whole sum of each piece in software. */
static void run_cut_and_summed_in_software(struct kunit *test)
{
	cut_run(test, 3 * XKT_RUN_MSS + 123, XTCP_ACK | XTCP_PSH, NETIF_F_SG);
}

/* A run that ends the stream: FIN (and PSH) on its last segment only. */
static void fin_on_the_last_segment_only(struct kunit *test)
{
	cut_run(test, 2 * XKT_RUN_MSS, XTCP_ACK | XTCP_PSH | XTCP_FIN,
		NETIF_F_SG | NETIF_F_HW_CSUM);
}

/* One MSS or less is nothing to cut: the skb goes as it is. */
static void short_run_left_whole(struct kunit *test)
{
	struct sk_buff *skb = run_skb(test, XKT_RUN_MSS, XTCP_ACK, XTCP_HDR_LEN);
	struct sk_buff *segs;

	segs = __skb_gso_segment(skb, NETIF_F_SG | NETIF_F_HW_CSUM, true);
	KUNIT_EXPECT_NULL(test, segs);
	if (!IS_ERR_OR_NULL(segs))
		kfree_skb_list(segs);
	kfree_skb(skb);
}

/* A header length below our header's is refused, not cut. */
static void bad_header_length_refused(struct kunit *test)
{
	struct sk_buff *skb = run_skb(test, 2 * XKT_RUN_MSS, XTCP_ACK, 16);
	struct sk_buff *segs;

	segs = __skb_gso_segment(skb, NETIF_F_SG | NETIF_F_HW_CSUM, true);
	KUNIT_EXPECT_TRUE(test, IS_ERR(segs));
	if (!IS_ERR_OR_NULL(segs))
		kfree_skb_list(segs);
	kfree_skb(skb);
}

/*
 * The core's pseudo-header sums (what user-space tests build segments
 * with) agree with the kernel's, which seed CHECKSUM_PARTIAL and verify
 * received segments: IPv4's csum_tcpudp_magic() and IPv6's
 * csum_ipv6_magic(), over addresses and lengths from a fixed generator.
 */
static void core_pseudo_sums_match_the_kernels(struct kunit *test)
{
	u32 x = 0x2545f491, len;
	struct in6_addr s6, d6;
	__be32 s4, d4;
	int i, j;

	for (i = 0; i < 2000; i++) {
		for (j = 0; j < 4; j++) {
			x = x * 1103515245 + 12345;
			s6.s6_addr32[j] = (__force __be32)x;
			x = x * 1103515245 + 12345;
			d6.s6_addr32[j] = (__force __be32)x;
		}
		s4 = s6.s6_addr32[0];
		d4 = d6.s6_addr32[0];
		len = XTCP_HDR_LEN + (x >> 16) % 65000;
		KUNIT_EXPECT_EQ(test,
				xtcp_csum_fold(xtcp_csum_pseudo(ntohl(s4), ntohl(d4),
								xtcp_ipproto, len)),
				be16_to_cpu((__force __be16)
					    csum_tcpudp_magic(s4, d4, len,
							      xtcp_ipproto, 0)));
		KUNIT_EXPECT_EQ(test,
				xtcp_csum_fold(xtcp_csum_pseudo6(s6.s6_addr,
								 d6.s6_addr,
								 xtcp_ipproto,
								 len)),
				be16_to_cpu((__force __be16)
					    csum_ipv6_magic(&s6, &d6, len,
							    xtcp_ipproto, 0)));
	}
}

static struct kunit_case xtcp_offload_cases[] = {
	KUNIT_CASE(run_cut_for_a_summing_device),
	KUNIT_CASE(run_cut_and_summed_in_software),
	KUNIT_CASE(fin_on_the_last_segment_only),
	KUNIT_CASE(short_run_left_whole),
	KUNIT_CASE(bad_header_length_refused),
	KUNIT_CASE(core_pseudo_sums_match_the_kernels),
	{}
};

static struct kunit_suite xtcp_offload_suite = {
	.name = "xtcp_offload",
	.test_cases = xtcp_offload_cases,
};

kunit_test_suite(xtcp_offload_suite);
