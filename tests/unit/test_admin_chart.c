/* Unit tests for gateway/admin/admin_chart.c: the y axis top, the SVG of
 * a chart (one point per sample in the window, at the right place, gaps
 * where there is no value, nothing outside the window), the VRRP timeline
 * (one stretch per role, the role at the window's start), and the time
 * labels at their boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/admin/admin.h"
#include "gateway/admin/admin_chart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1796127600ULL /* 2026-12-01 12:20:00Z */

static struct strbuf out = STRBUF_HEAP_INIT;
static struct admin_history h;

static int setup(void **state)
{
    (void)state;
    strbuf_free(&out);
    admin_history_init(&h);
    return 0;
}

static int teardown_all(void **state)
{
    (void)state;
    strbuf_free(&out);
    return 0;
}

static unsigned count(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static double v_rate(const struct admin_history_sample *s, unsigned i)
{
    (void)i;
    return s->requests_per_s;
}

static double v_latency(const struct admin_history_sample *s, unsigned i)
{
    return i ? s->p99_ms : s->p50_ms;
}

static const struct admin_chart rate_chart = {
    .id = "c", .title = "Requests per second", .n_series = 1, .value = v_rate};

/* One record per step from `from` to `to` (seconds before NOW), `rps`
 * requests per second; 0 rps leaves no latency. */
static void fill(unsigned from_ago, unsigned to_ago, uint64_t rps)
{
    static struct admin_history_counters c;
    for (unsigned ago = from_ago;; ago -= ADMIN_HISTORY_STEP_S) {
        uint64_t n = rps * ADMIN_HISTORY_STEP_S;
        c.requests += n;
        c.latency[0] += n;
        c.latency_count += n;
        admin_history_record(&h, NOW - ago, &c);
        if (ago < to_ago + ADMIN_HISTORY_STEP_S)
            break;
    }
}

static void test_axis_max(void **state)
{
    (void)state;
    assert_true(admin_chart_axis_max(0) == 1);
    assert_true(admin_chart_axis_max(-3) == 1);
    assert_true(admin_chart_axis_max(1) == 1);
    assert_true(admin_chart_axis_max(1.01) == 2);
    assert_true(admin_chart_axis_max(2) == 2);
    assert_true(admin_chart_axis_max(2.5) == 5);
    assert_true(admin_chart_axis_max(5) == 5);
    assert_true(admin_chart_axis_max(5.1) == 10);
    assert_true(admin_chart_axis_max(10) == 10);
    assert_true(admin_chart_axis_max(337) == 500);
    assert_true(admin_chart_axis_max(0.3) > 0.49 && admin_chart_axis_max(0.3) < 0.51);
    assert_true(admin_chart_axis_max(1e20) == 1e20); /* no endless loop */
}

static void test_empty_chart(void **state)
{
    (void)state;
    admin_chart_render(&out, &rate_chart, &h, NOW);
    assert_non_null(strstr(out.data, "<svg id=\"c\" viewBox=\"0 0 360 120\" width=\"360\" height=\"120\""));
    assert_non_null(strstr(out.data, "no sample yet (one every 10 s)"));
    assert_non_null(strstr(out.data, "<path class=\"s0\" d=\"\"/>"));
    assert_non_null(strstr(out.data, "now -, max 0"));
}

/* The window: a sample ADMIN_HISTORY_WINDOW_S old is drawn at the left
 * edge, the newest at the right edge, nothing older than the window. */
static void test_points_in_window(void **state)
{
    (void)state;
    fill(ADMIN_HISTORY_WINDOW_S + 3 * ADMIN_HISTORY_STEP_S, 0, 4);
    assert_int_equal(h.count, ADMIN_HISTORY_SAMPLES); /* wrapped */
    admin_chart_render(&out, &rate_chart, &h, NOW);
    /* samples end at NOW - 900 .. NOW: 91 of them would be in the window,
     * the ring holds 90, the oldest of which is NOW - 890 */
    assert_int_equal(count(out.data, " L") + count(out.data, "\"M"), ADMIN_HISTORY_SAMPLES);
    assert_int_equal(count(out.data, "M"), 1); /* one unbroken line */
    char right[64];
    snprintf(right, sizeof right, "L%.1f,", (double)(ADMIN_CHART_W - ADMIN_CHART_RIGHT));
    assert_non_null(strstr(out.data, right));
    assert_non_null(strstr(out.data, "now 4, max 4"));
    /* 4 on an axis of 5 */
    assert_non_null(strstr(out.data, ">5</text>"));
    /* seen from 95 s later, the oldest 9 samples have left the window */
    strbuf_free(&out);
    admin_chart_render(&out, &rate_chart, &h, NOW + 95);
    assert_int_equal(count(out.data, " L") + count(out.data, "\"M"), ADMIN_HISTORY_SAMPLES - 9);
    char left[64];
    snprintf(left, sizeof left, "\"M%.1f,", (double)ADMIN_CHART_LEFT + (360.0 - 52) * 5 / 900);
    assert_non_null(strstr(out.data, left)); /* NOW - 800 is 5 s from the left edge */
}

/* A stretch with no request: the latency line breaks (a new M), the
 * request line goes to 0. */
static void test_gap(void **state)
{
    (void)state;
    fill(300, 200, 10);
    fill(190, 100, 0);
    fill(90, 0, 10);
    static const struct admin_chart lat = {
        .id = "l", .title = "Latency, ms", .names = {"p50", "p99"}, .n_series = 2, .value = v_latency};
    admin_chart_render(&out, &lat, &h, NOW);
    const char *s0 = strstr(out.data, "<path class=\"s0\"");
    const char *s1 = strstr(out.data, "<path class=\"s1\"");
    assert_non_null(s0);
    assert_non_null(s1);
    char p0[2048];
    snprintf(p0, sizeof p0, "%.*s", (int)(s1 - s0), s0);
    assert_int_equal(count(p0, "M"), 2);
    assert_non_null(strstr(out.data, "<span class=\"k0\">p50 now "));
    assert_non_null(strstr(out.data, "<span class=\"k1\">p99 now "));
    strbuf_free(&out);
    admin_chart_render(&out, &rate_chart, &h, NOW);
    assert_int_equal(count(out.data, "M"), 1);
    assert_non_null(strstr(out.data, "now 10, max 10"));
}

/* Values above the axis are drawn at its top, never outside the plot. */
static void test_values_stay_in_plot(void **state)
{
    (void)state;
    fill(100, 0, 1000000);
    admin_chart_render(&out, &rate_chart, &h, NOW);
    char top[32];
    snprintf(top, sizeof top, ",%.1f", (double)ADMIN_CHART_TOP);
    assert_non_null(strstr(out.data, top));
    assert_null(strstr(out.data, ",-"));
}

static void test_timeline(void **state)
{
    (void)state;
    struct admin_vrrp_history v = {0};
    admin_timeline_render(&out, "vrrp-timeline", &v, ADMIN_VRRP_BACKUP, NOW);
    assert_int_equal(count(out.data, "<rect "), 1); /* no change: one stretch of the current role */
    assert_non_null(strstr(out.data, "<rect class=\"role-backup\" x=\"44.0\""));
    strbuf_free(&out);
    admin_vrrp_history_add(&v, NOW - 1200, ADMIN_VRRP_UNKNOWN, ADMIN_VRRP_INIT);
    admin_vrrp_history_add(&v, NOW - 1199, ADMIN_VRRP_INIT, ADMIN_VRRP_BACKUP);
    admin_vrrp_history_add(&v, NOW - 720, ADMIN_VRRP_BACKUP, ADMIN_VRRP_MASTER);
    admin_vrrp_history_add(&v, NOW - 360, ADMIN_VRRP_MASTER, ADMIN_VRRP_BACKUP);
    admin_vrrp_history_add(&v, NOW - 120, ADMIN_VRRP_BACKUP, ADMIN_VRRP_MASTER);
    admin_timeline_render(&out, "vrrp-timeline", &v, ADMIN_VRRP_MASTER, NOW);
    assert_int_equal(count(out.data, "<rect "), 4);
    assert_int_equal(count(out.data, "role-master"), 2);
    assert_int_equal(count(out.data, "role-backup"), 2);
    assert_null(strstr(out.data, "role-init")); /* before the window */
    /* the window opens on backup, at the left edge */
    assert_non_null(strstr(out.data, "<rect class=\"role-backup\" x=\"44.0\""));
    assert_non_null(strstr(out.data, "<title>master 2026-12-01 12:18:00Z to 2026-12-01 12:20:00Z</title>"));
}

/* A daemon that started inside the window: before its first change the
 * role is unknown (grey: not running). */
static void test_timeline_start_inside_window(void **state)
{
    (void)state;
    struct admin_vrrp_history v = {0};
    admin_vrrp_history_add(&v, NOW - 300, ADMIN_VRRP_UNKNOWN, ADMIN_VRRP_BACKUP);
    admin_timeline_render(&out, "vrrp-timeline", &v, ADMIN_VRRP_BACKUP, NOW);
    assert_int_equal(count(out.data, "<rect "), 2);
    assert_non_null(strstr(out.data, "<rect class=\"role-unknown\" x=\"44.0\""));
}

static void test_time_labels(void **state)
{
    (void)state;
    char t[ADMIN_TIME_TEXT];
    admin_format_utc(NOW, t);
    assert_string_equal(t, "2026-12-01 12:20:00Z");
    admin_format_utc(0, t);
    assert_string_equal(t, "-");
    admin_format_utc(253402300799ULL, t); /* the longest: 9999-12-31 23:59:59Z fits */
    assert_string_equal(t, "9999-12-31 23:59:59Z");
    admin_format_age(NOW, NOW - 119, t);
    assert_string_equal(t, "119 s");
    admin_format_age(NOW, NOW - 120, t);
    assert_string_equal(t, "2 min");
    admin_format_age(NOW, NOW - 7199, t);
    assert_string_equal(t, "119 min");
    admin_format_age(NOW, NOW - 7200, t);
    assert_string_equal(t, "2 h");
    admin_format_age(NOW, NOW - 48 * 3600, t);
    assert_string_equal(t, "2 d");
    admin_format_age(NOW, NOW + 5, t); /* in the future: 0, never a wrap-around */
    assert_string_equal(t, "0 s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_axis_max, setup),
        cmocka_unit_test_setup(test_empty_chart, setup),
        cmocka_unit_test_setup(test_points_in_window, setup),
        cmocka_unit_test_setup(test_gap, setup),
        cmocka_unit_test_setup(test_values_stay_in_plot, setup),
        cmocka_unit_test_setup(test_timeline, setup),
        cmocka_unit_test_setup(test_timeline_start_inside_window, setup),
        cmocka_unit_test_setup(test_time_labels, setup),
    };
    return cmocka_run_group_tests_name("admin_chart", tests, NULL, teardown_all);
}
