/* The log captured in a memfd (see t_log.h). */
#include "tests/unit/helpers/t_log.h"

#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int t_log_fd = -1;

int t_log_capture(void)
{
    if (t_log_fd < 0)
        t_log_fd = memfd_create("t_log", MFD_CLOEXEC);
    if (t_log_fd < 0)
        return -1;
    log_setup(LOG_FORMAT_PLAIN, t_log_fd, LOG_LEVEL_DEBUG, "test");
    return 0;
}

void t_log_clear(void)
{
    if (t_log_fd >= 0 && ftruncate(t_log_fd, 0) == 0)
        lseek(t_log_fd, 0, SEEK_SET);
}

/* What was logged, NUL-terminated (the caller frees), or NULL. */
static char *t_log_read(void)
{
    char *buf = malloc(T_LOG_MAX + 1);
    if (!buf || t_log_fd < 0) {
        free(buf);
        return NULL;
    }
    ssize_t n = pread(t_log_fd, buf, T_LOG_MAX, 0);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

unsigned t_log_count(const char *a, const char *b)
{
    char *text = t_log_read();
    unsigned found = 0;
    for (char *line = text, *end; line && *line; line = end ? end + 1 : NULL) {
        end = strchr(line, '\n');
        if (end)
            *end = '\0';
        found += strstr(line, a) && (!b || strstr(line, b));
    }
    free(text);
    return found;
}

bool t_log_has(const char *a, const char *b)
{
    return t_log_count(a, b) > 0;
}

void t_log_dump(void)
{
    char *text = t_log_read();
    fprintf(stderr, "--- captured log ---\n%s--- end ---\n", text ? text : "");
    free(text);
}
