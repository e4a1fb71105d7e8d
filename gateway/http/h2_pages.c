/*
 * h2_pages: page-backed large blocks for nghttp2, given back while idle.
 * See h2_pages.h.
 */
#include "gateway/http/h2_pages.h"

#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t page_round(size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return (n + page - 1) / page * page;
}

static struct h2_paged *paged_find(struct h2_pages *pg, const void *p)
{
    for (unsigned i = 0; p && i < H2_PAGES_MAX; i++)
        if (pg->paged[i].p == p)
            return &pg->paged[i];
    return NULL;
}

static void *paged_alloc(struct h2_pages *pg, size_t n)
{
    struct h2_paged *slot = NULL;
    for (unsigned i = 0; !slot && i < H2_PAGES_MAX; i++)
        if (!pg->paged[i].p)
            slot = &pg->paged[i];
    if (!slot)
        return malloc(n); /* more large blocks than expected: plain memory */
    size_t len = page_round(n);
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    *slot = (struct h2_paged){p, len};
    return p;
}

static void mem_free(void *p, void *arg)
{
    struct h2_paged *b = paged_find(arg, p);
    if (!b) {
        free(p);
        return;
    }
    munmap(b->p, b->len);
    *b = (struct h2_paged){0};
}

static void *mem_malloc(size_t n, void *arg)
{
    return n >= H2_PAGES_MIN ? paged_alloc(arg, n) : malloc(n);
}

static void *mem_calloc(size_t count, size_t size, void *arg)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    if (count * size >= H2_PAGES_MIN)
        return paged_alloc(arg, count * size); /* fresh pages are zero */
    return calloc(count, size);
}

static void *mem_realloc(void *p, size_t n, void *arg)
{
    struct h2_paged *b = paged_find(arg, p);
    if (!b && n < H2_PAGES_MIN)
        return realloc(p, n);
    if (b && n <= b->len)
        return p;
    void *q = mem_malloc(n, arg);
    if (q && p) {
        size_t old = b ? b->len : malloc_usable_size(p);
        memcpy(q, p, old < n ? old : n);
        mem_free(p, arg);
    }
    return q;
}

void h2_pages_mem(struct h2_pages *pg, nghttp2_mem *out)
{
    *out = (nghttp2_mem){.mem_user_data = pg,
                         .malloc = mem_malloc,
                         .free = mem_free,
                         .calloc = mem_calloc,
                         .realloc = mem_realloc};
}

void h2_pages_release(struct h2_pages *pg)
{
    for (unsigned i = 0; i < H2_PAGES_MAX; i++)
        if (pg->paged[i].p)
            madvise(pg->paged[i].p, pg->paged[i].len, MADV_DONTNEED);
}

void h2_pages_free(struct h2_pages *pg)
{
    for (unsigned i = 0; i < H2_PAGES_MAX; i++)
        if (pg->paged[i].p)
            munmap(pg->paged[i].p, pg->paged[i].len);
    *pg = (struct h2_pages){0};
}

size_t h2_pages_mapped(const struct h2_pages *pg)
{
    size_t n = 0;
    for (unsigned i = 0; i < H2_PAGES_MAX; i++)
        n += pg->paged[i].len;
    return n;
}
