/*
 * list.c: the list cursor and the pager's scroll (list.h).
 */
#include "list.h"

/* Where a movement takes position pos in 0..last, page rows a screen. */
static bool moved(size_t *pos, enum keys_action act, size_t last, size_t page)
{
	size_t p = *pos, half = page > 1 ? page / 2 : 1;
	switch (act) {
	case ACT_DOWN: p = p < last ? p + 1 : last; break;
	case ACT_UP: p = p ? p - 1 : 0; break;
	case ACT_PAGE_DOWN: p = p + page < last ? p + page : last; break;
	case ACT_PAGE_UP: p = p > page ? p - page : 0; break;
	case ACT_HALF_DOWN: p = p + half < last ? p + half : last; break;
	case ACT_HALF_UP: p = p > half ? p - half : 0; break;
	case ACT_TOP: p = 0; break;
	case ACT_BOTTOM: p = last; break;
	default: return false;
	}
	*pos = p;
	return true;
}

bool list_move(size_t *cur, enum keys_action act, size_t n, size_t page)
{
	return moved(cur, act, n ? n - 1 : 0, page);
}

void list_show(size_t cur, size_t *top, size_t page)
{
	if (cur < *top)
		*top = cur;
	if (page && cur >= *top + page)
		*top = cur - page + 1;
}

bool list_scroll(size_t *top, enum keys_action act, size_t last, size_t page)
{
	return moved(top, act, last, page);
}
