/*
 * tapfd IFNAME FD COMMAND [ARGS...]: open the existing tap IFNAME, put it
 * on descriptor FD and exec COMMAND, which inherits it. Tests the
 * --net:NAME=@FD path, the way a management daemon hands taps over.
 */
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: tapfd IFNAME FD COMMAND [ARGS...]\n");
        return 2;
    }
    int target = atoi(argv[2]);
    int fd = open("/dev/net/tun", O_RDWR);
    if (fd < 0) {
        perror("tapfd: /dev/net/tun");
        return 1;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", argv[1]);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        perror("tapfd: TUNSETIFF");
        return 1;
    }
    if (fd != target) {
        if (dup2(fd, target) < 0) {
            perror("tapfd: dup2");
            return 1;
        }
        close(fd);
    }
    execvp(argv[3], argv + 3);
    perror("tapfd: exec");
    return 127;
}
