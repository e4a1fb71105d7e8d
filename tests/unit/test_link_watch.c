/* Unit tests for gateway/ha/link_watch.c: rtnetlink notifications as the
 * kernel batches them -> link and address events; others skipped; a
 * malformed batch reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/ha/link_watch.h"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <string.h>

struct seen {
    enum link_watch_event ev[8];
    unsigned ifindex[8];
    unsigned n;
};

static void record(void *arg, enum link_watch_event ev, unsigned ifindex)
{
    struct seen *s = arg;
    assert_true(s->n < 8);
    s->ev[s->n] = ev;
    s->ifindex[s->n++] = ifindex;
}

/* Appends one message of `type` with a payload of `len` bytes at buf+*off. */
static void *put_msg(char *buf, size_t *off, uint16_t type, size_t len)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + *off);
    nlh->nlmsg_type = type;
    void *p = mnl_nlmsg_put_extra_header(nlh, len);
    *off += nlh->nlmsg_len;
    return p;
}

static void test_link_and_address_events(void **state)
{
    (void)state;
    _Alignas(4) char buf[1024] = {0};
    size_t off = 0;
    struct ifinfomsg *ifi = put_msg(buf, &off, RTM_NEWLINK, sizeof *ifi);
    ifi->ifi_index = 3;
    struct ifaddrmsg *ifa = put_msg(buf, &off, RTM_DELADDR, sizeof *ifa);
    ifa->ifa_index = 4;
    struct rtmsg *rt = put_msg(buf, &off, RTM_NEWROUTE, sizeof *rt); /* not ours: skipped */
    (void)rt;
    ifi = put_msg(buf, &off, RTM_DELLINK, sizeof *ifi);
    ifi->ifi_index = 5;
    ifa = put_msg(buf, &off, RTM_NEWADDR, sizeof *ifa);
    ifa->ifa_index = 3;
    struct seen s = {0};
    assert_int_equal(link_watch_parse(buf, off, record, &s), 4);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.ev[0], LINK_WATCH_LINK);
    assert_int_equal(s.ifindex[0], 3);
    assert_int_equal(s.ev[1], LINK_WATCH_ADDR);
    assert_int_equal(s.ifindex[1], 4);
    assert_int_equal(s.ev[2], LINK_WATCH_LINK);
    assert_int_equal(s.ifindex[2], 5);
    assert_int_equal(s.ev[3], LINK_WATCH_ADDR);
}

/* A link message too short for its header: the batch is refused (the
 * owner then re-reads everything). */
static void test_short_message_refused(void **state)
{
    (void)state;
    _Alignas(4) char buf[256] = {0};
    size_t off = 0;
    struct ifinfomsg *ifi = put_msg(buf, &off, RTM_NEWLINK, sizeof *ifi);
    ifi->ifi_index = 2;
    put_msg(buf, &off, RTM_NEWLINK, 4); /* 4 bytes of a 16-byte ifinfomsg */
    struct seen s = {0};
    assert_int_equal(link_watch_parse(buf, off, record, &s), -1);
    assert_int_equal(s.n, 1); /* what came before was delivered */
    s.n = 0;
    off = 0;
    put_msg(buf, &off, RTM_NEWADDR, 2);
    assert_int_equal(link_watch_parse(buf, off, record, &s), -1);
    assert_int_equal(s.n, 0);
}

static void test_empty_and_cut(void **state)
{
    (void)state;
    _Alignas(4) char buf[256] = {0};
    struct seen s = {0};
    assert_int_equal(link_watch_parse(buf, 0, record, &s), 0);
    size_t off = 0;
    struct ifinfomsg *ifi = put_msg(buf, &off, RTM_NEWLINK, sizeof *ifi);
    ifi->ifi_index = 2;
    /* a batch cut inside its only message: nothing to deliver */
    assert_int_equal(link_watch_parse(buf, off - 8, record, &s), 0);
    assert_int_equal(s.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_and_address_events),
        cmocka_unit_test(test_short_message_refused),
        cmocka_unit_test(test_empty_and_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
