/*
 * test_st_lock.c - the durable pool's lock serves callers in the order
 * they came: a waiter is never overtaken, not even by the thread that has
 * just let the lock go (which a plain mutex allows, and which let a long
 * import in slices hold off every select).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "am_error.h"
#include "st_lock.h"

typedef struct order {
    st_lock lock;
    pthread_mutex_t m;
    char seen[8];
    int n;
} order;

static void note(order *o, char who)
{
    pthread_mutex_lock(&o->m);
    o->seen[o->n++] = who;
    pthread_mutex_unlock(&o->m);
}

typedef struct waiter {
    order *o;
    char name;
} waiter;

static void *take_and_note(void *arg)
{
    waiter *w = arg;

    st_lock_take(&w->o->lock);
    note(w->o, w->name);
    st_lock_release(&w->o->lock);
    return NULL;
}

/* Until `n` callers wait for their turn. */
static void wait_for_waiters(st_lock *l, unsigned n)
{
    for (;;) {
        pthread_mutex_lock(&l->m);
        unsigned w = l->waiting;
        pthread_mutex_unlock(&l->m);
        if (w >= n)
            return;
        sched_yield();
    }
}

static void test_waiters_are_served_in_arrival_order_before_the_releaser_again(void **state)
{
    order o;
    waiter b = {&o, 'B'}, c = {&o, 'C'};
    pthread_t tb, tc;

    (void)state;
    memset(&o, 0, sizeof o);
    assert_int_equal(st_lock_init(&o.lock), AM_OK);
    pthread_mutex_init(&o.m, NULL);
    st_lock_take(&o.lock);
    assert_int_equal(pthread_create(&tb, NULL, take_and_note, &b), 0);
    wait_for_waiters(&o.lock, 1);
    assert_int_equal(pthread_create(&tc, NULL, take_and_note, &c), 0);
    wait_for_waiters(&o.lock, 2);
    /* Let go and ask again at once: B and C came first. */
    st_lock_release(&o.lock);
    st_lock_take(&o.lock);
    note(&o, 'A');
    st_lock_release(&o.lock);
    pthread_join(tb, NULL);
    pthread_join(tc, NULL);
    assert_int_equal(o.n, 3);
    assert_memory_equal(o.seen, "BCA", 3);
    pthread_mutex_destroy(&o.m);
    st_lock_destroy(&o.lock);
}

static void *held_here(void *arg)
{
    return (void *)(intptr_t)st_lock_held(arg);
}

static void test_only_the_holder_holds_the_lock(void **state)
{
    st_lock l;
    pthread_t t;
    void *other;

    (void)state;
    assert_int_equal(st_lock_init(&l), AM_OK);
#ifndef NDEBUG
    assert_false(st_lock_held(&l));
#endif
    st_lock_take(&l);
    assert_true(st_lock_held(&l));
    assert_int_equal(pthread_create(&t, NULL, held_here, &l), 0);
    pthread_join(t, &other);
#ifndef NDEBUG
    assert_int_equal((intptr_t)other, 0);
#else
    assert_int_equal((intptr_t)other, 1);     /* not tracked without asserts */
#endif
    st_lock_release(&l);
    st_lock_destroy(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_waiters_are_served_in_arrival_order_before_the_releaser_again),
        cmocka_unit_test(test_only_the_holder_holds_the_lock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
