/* NET_BASIC devices on existing tap interfaces: --net and --net-mac. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "device.h"
#include "dirty_log.h"
#include "log.h"

#define ETH_HDR_LEN 14

/* Read an interface's flags or MTU through a throwaway socket. */
static int ifreq_get(const char *ifname, unsigned long req, struct ifreq *ifr)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    memset(ifr, 0, sizeof *ifr);
    snprintf(ifr->ifr_name, IFNAMSIZ, "%s", ifname);
    int rc = ioctl(s, req, ifr);
    int e = errno;
    close(s);
    errno = e;
    return rc;
}

/* Attach to an existing tap that is up; never create one. */
static int tap_open(const char *ifname, int *mtu)
{
    struct ifreq ifr;
    if (strlen(ifname) >= IFNAMSIZ) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (ifreq_get(ifname, SIOCGIFFLAGS, &ifr) < 0)
        return -1;
    if (!(ifr.ifr_flags & IFF_UP)) {
        errno = ENETDOWN;
        return -1;
    }
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ifreq_get(ifname, SIOCGIFMTU, &ifr) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    *mtu = ifr.ifr_mtu;
    /* No offloads: every frame the guest reads fits its MTU. */
    (void)ioctl(fd, TUNSETOFFLOAD, 0);
    return fd;
}

/* An fd the caller opened on a tap (hostd passes these). */
static int tap_adopt(const char *text, int *mtu)
{
    char *end;
    errno = 0;
    long fd = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || fd < 0 || fd > 1 << 20) {
        errno = EBADF;
        return -1;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    if (ioctl((int)fd, TUNGETIFF, &ifr) < 0)
        return -1;
    if (!(ifr.ifr_flags & IFF_TAP) || !(ifr.ifr_flags & IFF_NO_PI)) {
        errno = EINVAL;
        return -1;
    }
    char name[IFNAMSIZ];
    snprintf(name, sizeof name, "%s", ifr.ifr_name);
    if (ifreq_get(name, SIOCGIFMTU, &ifr) < 0)
        return -1;
    int fl = fcntl((int)fd, F_GETFL);
    if (fl < 0 || fcntl((int)fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    *mtu = ifr.ifr_mtu;
    return (int)fd;
}

static int net_attach(struct hv *hv, struct mft_entry *e, const char *iface)
{
    int mtu = 0;
    int fd = iface[0] == '@' ? tap_adopt(iface + 1, &mtu) : tap_open(iface, &mtu);
    if (fd < 0) {
        hv_err("Could not attach interface: %s: %m", iface);
        return -1;
    }
    if (mtu <= 0 || mtu > 0xffff) {
        hv_err("Could not attach interface: %s: unusable MTU %d", iface, mtu);
        close(fd);
        return -1;
    }
    struct hv_dev *d = &hv->dev[hv_dev_handle(hv, e)];
    if (d->fd >= 0)
        close(d->fd);
    d->fd = fd;
    e->u.net_basic.mtu = (uint16_t)mtu;
    e->attached = 1;
    return 0;
}

static int parse_mac(const char *text, uint8_t mac[6])
{
    unsigned v[6];
    char extra;
    if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
               &extra) != 6 || strlen(text) != 17)
        return -1;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return 0;
}

static int net_option(struct hv *hv, const char *arg)
{
    const char *name, *value;
    size_t len;
    int rc = hv_dev_option(arg, "net-mac", &name, &len, &value);
    if (rc == 0) {
        struct mft_entry *e = hv_dev_declared(hv, name, len, MFT_DEV_NET_BASIC);
        if (e == NULL)
            return -1;
        if (parse_mac(value, e->u.net_basic.mac) < 0) {
            hv_err("Malformed MAC address: '%s' (want xx:xx:xx:xx:xx:xx)", value);
            return -1;
        }
        hv->dev[hv_dev_handle(hv, e)].mac_set = true;
        return 0;
    }
    if (rc < 0)
        return -1;
    rc = hv_dev_option(arg, "net", &name, &len, &value);
    if (rc != 0)
        return rc;
    struct mft_entry *e = hv_dev_declared(hv, name, len, MFT_DEV_NET_BASIC);
    return e ? net_attach(hv, e, value) : -1;
}

static enum hv_action hc_net_write(struct hv *hv, uint64_t gpa)
{
    struct hvt_hc_net_io a;
    if (!hv_args_in(hv, gpa, &a, sizeof a, "NET_WRITE arguments"))
        return HV_STOP;
    struct mft_entry *e = hv_dev_by_handle(hv, a.handle, MFT_DEV_NET_BASIC);
    if (e == NULL || a.len > (uint64_t)e->u.net_basic.mtu + ETH_HDR_LEN) {
        a.ret = HVT_R_EINVAL;
        hv_args_out(hv, gpa, &a, sizeof a);
        return HV_CONTINUE;
    }
    const uint8_t *data = hv_gpa(hv, a.data, a.len, "NET_WRITE data");
    if (data == NULL)
        return HV_STOP;
    ssize_t n;
    do
        n = write(hv->dev[a.handle].fd, data, a.len);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN) {
        a.ret = HVT_R_AGAIN;    /* the host is not draining the tap: drop */
    } else if (n < 0) {
        return hv_stop_guest(hv, "Fatal error when writing to interface '%s': %s", e->name,
                             strerror(errno));
    } else if ((uint64_t)n != a.len) {
        return hv_stop_guest(hv, "Fatal error: wrote only %zd out of %llu bytes to "
                             "interface '%s'", n, (unsigned long long)a.len, e->name);
    } else {
        a.ret = HVT_R_OK;
    }
    hv_args_out(hv, gpa, &a, sizeof a);
    return HV_CONTINUE;
}

static enum hv_action hc_net_read(struct hv *hv, uint64_t gpa)
{
    struct hvt_hc_net_io a;
    if (!hv_args_in(hv, gpa, &a, sizeof a, "NET_READ arguments"))
        return HV_STOP;
    struct mft_entry *e = hv_dev_by_handle(hv, a.handle, MFT_DEV_NET_BASIC);
    if (e == NULL) {
        a.ret = HVT_R_EINVAL;
        hv_args_out(hv, gpa, &a, sizeof a);
        return HV_CONTINUE;
    }
    uint8_t *data = hv_gpa(hv, a.data, a.len, "NET_READ data");
    if (data == NULL)
        return HV_STOP;
    ssize_t n;
    do
        n = read(hv->dev[a.handle].fd, data, a.len);
    while (n < 0 && errno == EINTR);
    if (n == 0 || (n < 0 && errno == EAGAIN)) {
        a.ret = HVT_R_AGAIN;
    } else if (n < 0) {
        return hv_stop_guest(hv, "Fatal error when reading from interface '%s': %s", e->name,
                             strerror(errno));
    } else {
        a.len = (uint64_t)n;
        a.ret = HVT_R_OK;
        hv_dirty_mark(hv, a.data, a.len);
    }
    hv_args_out(hv, gpa, &a, sizeof a);
    return HV_CONTINUE;
}

static int net_setup(struct hv *hv)
{
    int any = 0;
    for (uint32_t i = 1; i < hv->mft->entries; i++) {
        struct mft_entry *e = &hv->mft->e[i];
        if (e->type != MFT_DEV_NET_BASIC || !e->attached)
            continue;
        if (!hv->dev[i].mac_set) {
            /* A random, locally administered unicast address. */
            uint8_t *mac = e->u.net_basic.mac;
            if (getrandom(mac, 6, 0) != 6) {
                hv_err("cannot generate a MAC address: %m");
                return -1;
            }
            mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
        }
        if (hv_poll_add(hv, hv->dev[i].fd, i) < 0)
            return -1;
        any = 1;
    }
    if (any) {
        hv_hypercall_register(hv, HVT_HYPERCALL_NET_WRITE, hc_net_write);
        hv_hypercall_register(hv, HVT_HYPERCALL_NET_READ, hc_net_read);
    }
    return 0;
}

const struct hv_module hv_module_net = {
    .name = "net",
    .usage = "  --net:NAME=IFACE | @FD (attach tap interface, or an open tap fd, as NAME)\n"
             "  --net-mac:NAME=HWADDR (set the MAC address of NAME)\n",
    .option = net_option,
    .setup = net_setup,
};
