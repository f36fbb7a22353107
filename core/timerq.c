#include "timerq.h"

#include <stdlib.h>

void am_timerq_init(am_timerq *q)
{
    q->items = NULL;
    q->n = q->cap = 0;
}

void am_timerq_free(am_timerq *q)
{
    free(q->items);
    am_timerq_init(q);
}

static void swap(am_timer *a, am_timer *b)
{
    am_timer t = *a;
    *a = *b;
    *b = t;
}

/* Move items[i] down until neither child is earlier. */
static void sift_down(am_timerq *q, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, min = i;
        if (l < q->n && q->items[l].when < q->items[min].when)
            min = l;
        if (r < q->n && q->items[r].when < q->items[min].when)
            min = r;
        if (min == i)
            break;
        swap(&q->items[i], &q->items[min]);
        i = min;
    }
}

int am_timerq_reserve(am_timerq *q, size_t cap)
{
    if (cap <= q->cap)
        return 0;
    am_timer *items = realloc(q->items, cap * sizeof *items);
    if (!items)
        return -1;
    q->items = items;
    q->cap = cap;
    return 0;
}

int am_timerq_push(am_timerq *q, int64_t when, uint64_t id)
{
    if (q->n == q->cap && am_timerq_reserve(q, q->cap ? q->cap * 2 : 64) != 0)
        return -1;
    size_t i = q->n++;
    q->items[i].when = when;
    q->items[i].id = id;
    while (i > 0 && q->items[(i - 1) / 2].when > q->items[i].when) {
        swap(&q->items[(i - 1) / 2], &q->items[i]);
        i = (i - 1) / 2;
    }
    return 0;
}

int am_timerq_pop_due(am_timerq *q, int64_t now, am_timer *out)
{
    if (q->n == 0 || q->items[0].when > now)
        return 0;
    *out = q->items[0];
    q->items[0] = q->items[--q->n];
    sift_down(q, 0);
    return 1;
}

size_t am_timerq_filter(am_timerq *q, am_timerq_keep_fn keep, void *ctx)
{
    size_t n = 0, was = q->n;
    for (size_t i = 0; i < was; i++)
        if (keep(ctx, &q->items[i]))
            q->items[n++] = q->items[i];
    q->n = n;
    for (size_t i = n / 2; i-- > 0;)
        sift_down(q, i);
    return was - n;
}
