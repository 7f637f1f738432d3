// SPDX-License-Identifier: GPL-2.0-only

package mm

// Intrusive doubly linked lists over the page-frame slice, with the
// semantics of include/linux/list.h: circular, with a head node; list_add
// inserts after the head (so the next list_first_entry returns it) and
// list_add_tail before it. The seed depends on that ordering: compaction's
// putback of a failed newpage with list_add makes it the next page
// compaction_alloc hands out.
//
// A node is named by a uint32: a PFN, or a list head's id with headTag set.
// Heads live in System.heads. Nothing here allocates, and frames hold no
// pointers.

// links is a struct list_head: the next and prev node names.
type links struct {
	next, prev uint32
}

const headTag = 1 << 31

// listPoison is what list_del leaves behind, like LIST_POISON1/2: any use of
// a deleted entry's links indexes out of range and fails loudly.
const listPoison = ^uint32(0)

// ListHead names a list head owned by a System.
type ListHead uint32

func (s *System) node(n uint32) *links {
	if n&headTag != 0 {
		return &s.heads[n&^headTag]
	}
	return &s.pages[n].lru
}

// newListHead allocates and initialises a head (INIT_LIST_HEAD).
func (s *System) newListHead() ListHead {
	id := uint32(len(s.heads)) | headTag
	s.heads = append(s.heads, links{id, id})
	return ListHead(id)
}

func (s *System) listInsert(n, prev, next uint32) {
	s.node(next).prev = n
	l := s.node(n)
	l.next = next
	l.prev = prev
	s.node(prev).next = n
}

// listAdd is list_add(&page->lru, head).
func (s *System) listAdd(pfn uint32, h ListHead) {
	s.listInsert(pfn, uint32(h), s.node(uint32(h)).next)
}

// listAddTail is list_add_tail(&page->lru, head).
func (s *System) listAddTail(pfn uint32, h ListHead) {
	s.listInsert(pfn, s.node(uint32(h)).prev, uint32(h))
}

// listAddAfter links pfn after the node at (a page or head): list_add with a
// page's lru as the head, as rmqueue_bulk does.
func (s *System) listAddAfter(pfn, at uint32) {
	s.listInsert(pfn, at, s.node(at).next)
}

func (s *System) listUnlink(n uint32) {
	l := s.node(n)
	s.node(l.next).prev = l.prev
	s.node(l.prev).next = l.next
}

// listDel is list_del(&page->lru).
func (s *System) listDel(pfn uint32) {
	s.listUnlink(pfn)
	l := &s.pages[pfn].lru
	l.next, l.prev = listPoison, listPoison
}

// listMove is list_move(&page->lru, head).
func (s *System) listMove(pfn uint32, h ListHead) {
	s.listUnlink(pfn)
	s.listAdd(pfn, h)
}

// listMoveTail is list_move_tail(&page->lru, head).
func (s *System) listMoveTail(pfn uint32, h ListHead) {
	s.listUnlink(pfn)
	s.listAddTail(pfn, h)
}

// listEmpty is list_empty(head).
func (s *System) listEmpty(h ListHead) bool {
	return s.heads[uint32(h)&^headTag].next == uint32(h)
}

// listFirst is list_first_entry: the PFN after the head. The list must not
// be empty.
func (s *System) listFirst(h ListHead) uint32 { return s.heads[uint32(h)&^headTag].next }

// listLast is list_last_entry (list->prev).
func (s *System) listLast(h ListHead) uint32 { return s.heads[uint32(h)&^headTag].prev }

// listNext returns the node after pfn, which may be a head.
func (s *System) listNext(pfn uint32) uint32 { return s.pages[pfn].lru.next }

// ListPFNs returns the PFNs on a list from head to tail (for tests, /proc and
// the invariant checker; never on a hot path).
func (s *System) ListPFNs(h ListHead) []uint32 {
	var out []uint32
	for n := s.heads[uint32(h)&^headTag].next; n != uint32(h); n = s.pages[n].lru.next {
		out = append(out, n)
	}
	return out
}
