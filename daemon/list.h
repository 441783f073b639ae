/*
 * An intrusive doubly linked list: objects embed a struct list and can
 * unlink themselves in O(1) from whatever list holds them, which is what
 * lets a closing connection withdraw its calls from every queue.
 */
#ifndef SKIFF_HOSTD_LIST_H
#define SKIFF_HOSTD_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list {
    struct list *prev, *next;
};

static inline void list_init(struct list *l)
{
    l->prev = l->next = l;
}

static inline bool list_empty(const struct list *l)
{
    return l->next == l;
}

static inline void list_add_tail(struct list *head, struct list *n)
{
    n->prev = head->prev;
    n->next = head;
    head->prev->next = n;
    head->prev = n;
}

/* Unlink n (if linked) and leave it self-linked, so a second call is harmless. */
static inline void list_del(struct list *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    list_init(n);
}

#define list_entry(p, type, member) ((type *)(void *)((char *)(p) - offsetof(type, member)))

/* Safe against removal of the current element. */
#define list_for_each_safe(pos, tmp, head) \
    for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); \
         (pos) = (tmp), (tmp) = (pos)->next)

#endif
