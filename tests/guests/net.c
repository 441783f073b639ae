/*
 * net: network device "service0" at 10.0.0.2. Announces itself with a
 * gratuitous ARP, answers ARP requests and ICMP echo requests, and with
 * "limit=N" exits with SUCCESS once it has answered N echo requests.
 * Prints its MAC and the MTU the monitor reported.
 */
#include "skiff/guest.h"

SKIFF_MANIFEST(SKIFF_NET("service0"));

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP  0x0806
#define IPPROTO_ICMP   1

static const uint8_t my_ip[4] = { 10, 0, 0, 2 };
static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static unsigned handle;
static struct skiff_net_info info;

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Ethernet header: dst, src (ours), type. */
static void eth_header(uint8_t *f, const uint8_t *dst, uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, info.mac, 6);
    put16(f + 12, type);
}

/* ARP for 10.0.0.2/Ethernet: OP, then sender and target pairs. */
static void arp_body(uint8_t *a, uint16_t op, const uint8_t *tha,
                     const uint8_t *tpa)
{
    put16(a, 1);                 /* Ethernet */
    put16(a + 2, ETHERTYPE_IPV4);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, op);
    memcpy(a + 8, info.mac, 6);
    memcpy(a + 14, my_ip, 4);
    memcpy(a + 18, tha, 6);
    memcpy(a + 24, tpa, 4);
}

static void gratuitous_arp(void)
{
    uint8_t f[42];
    static const uint8_t zero[6];

    eth_header(f, broadcast, ETHERTYPE_ARP);
    arp_body(f + 14, 1, zero, my_ip);
    skiff_net_write(handle, f, sizeof(f));
}

/* Answer an ARP request for our address in place. */
static void handle_arp(uint8_t *f, size_t len)
{
    uint8_t *a = f + 14;
    uint8_t sha[6], spa[4];

    if (len < 42 || get16(a) != 1 || get16(a + 2) != ETHERTYPE_IPV4 ||
        a[4] != 6 || a[5] != 4 || get16(a + 6) != 1 ||
        memcmp(a + 24, my_ip, 4) != 0)
        return;
    memcpy(sha, a + 8, 6);
    memcpy(spa, a + 14, 4);
    eth_header(f, sha, ETHERTYPE_ARP);
    arp_body(a, 2, sha, spa);
    skiff_net_write(handle, f, 42);
}

/* Turn an ICMP echo request for our address into the reply, in place.
 * Returns 1 if a reply was sent. */
static int handle_ipv4(uint8_t *f, size_t len)
{
    uint8_t *ip = f + 14;

    if (len < 14 + 20 || (ip[0] >> 4) != 4 || ip[9] != IPPROTO_ICMP ||
        memcmp(ip + 16, my_ip, 4) != 0)
        return 0;

    size_t ihl = (size_t)(ip[0] & 15) * 4;
    size_t total = get16(ip + 2);

    if (ihl < 20 || total < ihl + 8 || 14 + total > len)
        return 0;

    uint8_t *icmp = ip + ihl;

    if (icmp[0] != 8 || icmp[1] != 0)
        return 0;

    /* Swapping the addresses keeps the IP checksum. Type 8 -> 0 lowers the
     * first ICMP word by 0x0800: raise the checksum by the same amount. */
    uint8_t tmp[6];

    memcpy(tmp, ip + 12, 4);
    memcpy(ip + 12, ip + 16, 4);
    memcpy(ip + 16, tmp, 4);
    icmp[0] = 0;

    uint32_t sum = get16(icmp + 2) + 0x0800u;

    put16(icmp + 2, (uint16_t)(sum + (sum >> 16)));
    memcpy(tmp, f + 6, 6);
    eth_header(f, tmp, ETHERTYPE_IPV4);
    return skiff_net_write(handle, f, 14 + total) == SKIFF_R_OK;
}

int skiff_main(const char *cmdline)
{
    uint64_t limit = 0;

    if (strncmp(cmdline, "limit=", 6) == 0 &&
        !skiff_parse_u64(cmdline + 6, &limit)) {
        skiff_printf("FAILURE: bad argument '%s'\n", cmdline);
        return 1;
    }
    if (skiff_net_acquire("service0", &handle, &info) != SKIFF_R_OK) {
        skiff_printf("FAILURE: no network device 'service0'\n");
        return 1;
    }

    size_t size = (size_t)info.mtu + SKIFF_ETH_HLEN;
    uint8_t *frame = skiff_alloc(size, 8);

    if (!frame) {
        skiff_printf("FAILURE: no memory for a %lu-byte frame\n",
                     (unsigned long)size);
        return 1;
    }
    skiff_printf("Serving ping on 10.0.0.2, with MAC: "
                 "%02x:%02x:%02x:%02x:%02x:%02x\n",
                 info.mac[0], info.mac[1], info.mac[2], info.mac[3],
                 info.mac[4], info.mac[5]);
    skiff_printf("MTU is %u\n", info.mtu);
    gratuitous_arp();

    uint64_t answered = 0;

    while (limit == 0 || answered < limit) {
        uint64_t ready;

        skiff_yield(skiff_clock_monotonic() + 1000000000ULL, &ready);
        if (!(ready & (1ULL << handle)))
            continue;

        size_t len;

        while (skiff_net_read(handle, frame, size, &len) == SKIFF_R_OK) {
            if (len < 14)
                continue;
            if (get16(frame + 12) == ETHERTYPE_ARP)
                handle_arp(frame, len);
            else if (get16(frame + 12) == ETHERTYPE_IPV4)
                answered += (uint64_t)handle_ipv4(frame, len);
            if (limit && answered >= limit)
                break;
        }
    }
    skiff_printf("Answered %lu echo requests\n", (unsigned long)answered);
    skiff_printf("SUCCESS\n");
    return 0;
}
