package mm

import (
	"slices"
	"testing"
)

// Tests of the intrusive lists against include/linux/list.h of v3.16.

// listSystem is a bare System with eight frames and no memory map, enough
// for list operations.
func listSystem() *System { return &System{pages: make([]Page, 8)} }

func wantList(t *testing.T, s *System, h ListHead, want ...uint32) {
	t.Helper()
	if got := s.ListPFNs(h); !slices.Equal(got, want) {
		t.Fatalf("list = %v, want %v", got, want)
	}
	// The prev links must walk the same list backwards (the list is
	// circular through the head).
	var back []uint32
	for n := s.listLast(h); n != uint32(h); n = s.pages[n].lru.prev {
		back = append(back, n)
	}
	slices.Reverse(back)
	if !slices.Equal(back, want) {
		t.Fatalf("list walked backwards = %v, want %v", back, want)
	}
	if s.listEmpty(h) != (len(want) == 0) {
		t.Fatalf("list_empty = %v with %d entries", s.listEmpty(h), len(want))
	}
	if len(want) > 0 && (s.listFirst(h) != want[0] || s.listLast(h) != want[len(want)-1]) {
		t.Fatalf("first/last = %d/%d, want %d/%d", s.listFirst(h), s.listLast(h), want[0], want[len(want)-1])
	}
}

// TestListAddIsLIFO checks list_add: the new entry goes right after the
// head, so list_first_entry returns the entry added last (a stack).
// INIT_LIST_HEAD makes an empty list that points at itself.
func TestListAddIsLIFO(t *testing.T) {
	s := listSystem()
	h := s.newListHead()
	wantList(t, s, h)
	if s.heads[uint32(h)&^headTag] != (links{uint32(h), uint32(h)}) {
		t.Fatal("INIT_LIST_HEAD does not point the head at itself")
	}
	s.listAdd(1, h)
	s.listAdd(2, h)
	s.listAdd(3, h)
	wantList(t, s, h, 3, 2, 1)
}

// TestListAddTailIsFIFO checks list_add_tail: the new entry goes right
// before the head, at the end of the list (a queue).
func TestListAddTailIsFIFO(t *testing.T) {
	s := listSystem()
	h := s.newListHead()
	s.listAddTail(1, h)
	s.listAddTail(2, h)
	s.listAdd(3, h)
	s.listAddTail(4, h)
	wantList(t, s, h, 3, 1, 2, 4)
}

// TestListAddAfterEntry checks list_add with an entry as the head, as
// rmqueue_bulk uses it (list = &page->lru): each page follows the one
// added before it, so the list keeps the order of insertion.
func TestListAddAfterEntry(t *testing.T) {
	s := listSystem()
	h := s.newListHead()
	s.listAdd(7, h)
	at := uint32(h)
	for _, p := range []uint32{1, 2, 3} {
		s.listAddAfter(p, at)
		at = p
	}
	wantList(t, s, h, 1, 2, 3, 7)
}

// TestListDelPoisons checks list_del: the entry's neighbours are linked
// to each other and the entry's own links are poisoned (LIST_POISON1/2),
// so that deleting it again fails loudly instead of corrupting a list.
func TestListDelPoisons(t *testing.T) {
	s := listSystem()
	h := s.newListHead()
	for _, p := range []uint32{1, 2, 3} {
		s.listAddTail(p, h)
	}
	s.listDel(2)
	wantList(t, s, h, 1, 3)
	if l := s.pages[2].lru; l.next != listPoison || l.prev != listPoison {
		t.Fatalf("deleted entry links %+v, want poison", l)
	}
	s.listDel(1)
	s.listDel(3)
	wantList(t, s, h)
	defer func() {
		if recover() == nil {
			t.Fatal("list_del of a deleted entry did not fail")
		}
	}()
	s.listDel(2)
}

// TestListMove checks list_move and list_move_tail: the entry leaves its
// list and is added at the head, respectively the tail, of the other.
func TestListMove(t *testing.T) {
	s := listSystem()
	a, b := s.newListHead(), s.newListHead()
	for _, p := range []uint32{1, 2, 3} {
		s.listAddTail(p, a)
	}
	s.listAddTail(4, b)
	s.listMove(2, b)
	wantList(t, s, a, 1, 3)
	wantList(t, s, b, 2, 4)
	s.listMoveTail(1, b)
	wantList(t, s, a, 3)
	wantList(t, s, b, 2, 4, 1)
	// Moving within one list: list_move to its own head.
	s.listMove(1, b)
	wantList(t, s, b, 1, 2, 4)
	s.listMoveTail(1, b)
	wantList(t, s, b, 2, 4, 1)
}
