// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"errors"
	"fmt"
	"math/bits"

	"pagesim/klog"
)

// This file models lib/radix-tree.c and include/linux/radix-tree.h as the
// page cache (address_space->page_tree) and shmem use them.
//
// Layout. Nodes are plain structs of integers in one slice, the
// RadixNodeSlab (the kernel's radix_tree_node_cachep), referenced by uint32
// ids; id 0 is never handed out, so 0 means "no node". Freed nodes go on an
// index-linked free list and are reused, so Insert/Delete allocate nothing
// once the slab has grown to the tree's high-water mark. A tree holds no
// Go pointer per node and no map, and the GC never scans the slab.
//
// Entries. A value stored in the tree is a uint64 "entry" whose two low bits
// play the role of the low bits of the kernel's void *:
//
//	pfn << RADIX_TREE_EXCEPTIONAL_SHIFT          a page (struct page *): bits 00
//	v<<RADIX_TREE_EXCEPTIONAL_SHIFT | RADIX_TREE_EXCEPTIONAL_ENTRY
//	                                             an exceptional entry (shadow
//	                                             or shmem swap entry): bits 10
//
// Bit 0 is RADIX_TREE_INDIRECT_PTR, which an item may never carry (storing
// one is the kernel's BUG_ON(radix_tree_is_indirect_ptr(item))). PFN 0 is the
// entry 0, so emptiness is never expressed by a zero entry: lookups return
// (entry, ok) and RadixEmpty stands for the kernel's NULL where a slot is
// written. Inside a node a leaf slot holds entry|1 and an interior slot holds
// the child's node id, so 0 is always "empty".
//
// Not modeled: RCU (no lockless readers race a writer inside a machine, so
// radix_tree_deref_retry never fires and shrink does not mark the old slot
// indirect), preloading and -ENOMEM (node allocation cannot fail).

// Geometry and entry bits, as in include/linux/radix-tree.h on a 64-bit
// kernel without CONFIG_BASE_SMALL.
const (
	RADIX_TREE_MAP_SHIFT = 6
	RADIX_TREE_MAP_SIZE  = 1 << RADIX_TREE_MAP_SHIFT
	RADIX_TREE_MAP_MASK  = RADIX_TREE_MAP_SIZE - 1
	RADIX_TREE_MAX_TAGS  = 3
	// RADIX_TREE_MAX_PATH is the height that covers a 64-bit index.
	RADIX_TREE_MAX_PATH = (64 + RADIX_TREE_MAP_SHIFT - 1) / RADIX_TREE_MAP_SHIFT

	RADIX_TREE_INDIRECT_PTR      = 1
	RADIX_TREE_EXCEPTIONAL_ENTRY = 2
	RADIX_TREE_EXCEPTIONAL_SHIFT = 2

	// node->count holds the number of page slots in its low
	// RADIX_TREE_COUNT_SHIFT bits and, in the page cache, the number of
	// shadow entries above them (workingset_node_shadows_inc).
	RADIX_TREE_COUNT_SHIFT = RADIX_TREE_MAP_SHIFT + 1
	RADIX_TREE_COUNT_MASK  = 1<<RADIX_TREE_COUNT_SHIFT - 1
)

// Page-cache tags (include/linux/fs.h).
const (
	PAGECACHE_TAG_DIRTY     = 0
	PAGECACHE_TAG_WRITEBACK = 1
	PAGECACHE_TAG_TOWRITE   = 2
)

// RadixEmpty is the kernel's NULL slot content, for ReplaceSlot. It is never
// a valid entry: it has RADIX_TREE_INDIRECT_PTR set.
const RadixEmpty = ^uint64(0)

// ErrRadixExist is radix_tree_insert's -EEXIST.
var ErrRadixExist = errors.New("radix_tree_insert: -EEXIST")

// PFNToRadixEntry is the entry for the page at pfn: the model of a
// well-aligned struct page pointer.
func PFNToRadixEntry(pfn uint64) uint64 { return pfn << RADIX_TREE_EXCEPTIONAL_SHIFT }

// RadixEntryToPFN inverts PFNToRadixEntry.
func RadixEntryToPFN(e uint64) uint64 { return e >> RADIX_TREE_EXCEPTIONAL_SHIFT }

// ExceptionalToRadixEntry packs a 62-bit payload as an exceptional entry, as
// swp_to_radix_entry() and pack_shadow() do.
func ExceptionalToRadixEntry(v uint64) uint64 {
	return v<<RADIX_TREE_EXCEPTIONAL_SHIFT | RADIX_TREE_EXCEPTIONAL_ENTRY
}

// RadixEntryToExceptional inverts ExceptionalToRadixEntry.
func RadixEntryToExceptional(e uint64) uint64 { return e >> RADIX_TREE_EXCEPTIONAL_SHIFT }

// RadixTreeExceptionalEntry is radix_tree_exceptional_entry().
func RadixTreeExceptionalEntry(e uint64) bool { return e&RADIX_TREE_EXCEPTIONAL_ENTRY != 0 }

// RadixTreeException is radix_tree_exception(): exceptional or indirect.
func RadixTreeException(e uint64) bool {
	return e&(RADIX_TREE_INDIRECT_PTR|RADIX_TREE_EXCEPTIONAL_ENTRY) != 0
}

// RadixNodeID names a node in a RadixNodeSlab; 0 is "no node" (the item
// lives directly in the root, as the kernel's *nodep == NULL).
type RadixNodeID uint32

// RadixSlot is a void **slot: the node and offset of one slot, or the
// root's direct slot when Node is 0. It stays valid until the tree is next
// changed by anything but ReplaceSlot, as the kernel's does under
// mapping->tree_lock.
type RadixSlot struct {
	Node   RadixNodeID
	Offset uint32
}

// RadixItem is one result of a gang lookup: the index (iter.index) and entry.
type RadixItem struct {
	Index uint64
	Entry uint64
}

// radixNode is struct radix_tree_node. path is split into height and offset;
// private_list/private_data are left to the tree's user.
type radixNode struct {
	slots  [RADIX_TREE_MAP_SIZE]uint64
	tags   [RADIX_TREE_MAX_TAGS]uint64
	parent uint32 // parent node id; free-list link while free
	count  uint32 // see RADIX_TREE_COUNT_SHIFT
	height uint8  // path & RADIX_TREE_HEIGHT_MASK: 1 for a leaf
	offset uint8  // path >> RADIX_TREE_HEIGHT_SHIFT: slot in the parent
}

// RadixNodeSlab is radix_tree_node_cachep: the node store one or more trees
// allocate from. The zero value is ready to use.
type RadixNodeSlab struct {
	nodes []radixNode // nodes[0] is never used
	free  uint32      // head of the free list, linked through parent
	inUse int
}

// NewRadixNodeSlab returns an empty slab.
func NewRadixNodeSlab() *RadixNodeSlab { return &RadixNodeSlab{} }

// InUse is the number of allocated nodes (the slab's active objects).
func (s *RadixNodeSlab) InUse() int { return s.inUse }

// radixTreeNodeAlloc models radix_tree_node_alloc(): a zeroed node from the
// free list, else a new one. Model: never fails (no -ENOMEM, no preload).
// Growing the slice invalidates *radixNode pointers; callers re-index.
func (s *RadixNodeSlab) radixTreeNodeAlloc() uint32 {
	if len(s.nodes) == 0 {
		s.nodes = append(s.nodes, radixNode{})
	}
	s.inUse++
	if id := s.free; id != 0 {
		s.free = s.nodes[id].parent
		s.nodes[id] = radixNode{}
		return id
	}
	s.nodes = append(s.nodes, radixNode{})
	return uint32(len(s.nodes) - 1)
}

// radixTreeNodeFree models radix_tree_node_free(). Model: immediate, no
// RCU grace period.
func (s *RadixNodeSlab) radixTreeNodeFree(id uint32) {
	n := &s.nodes[id]
	n.height = 0 // marks it free for verify
	n.parent = s.free
	s.free = id
	s.inUse--
}

// RadixTree is struct radix_tree_root. The zero value is an empty tree with
// a private slab; SetSlab shares one. It is not safe for concurrent use.
type RadixTree struct {
	rnode  uint64 // height 0: entry|1 or 0; else the root node id
	height uint32
	tags   uint8  // root tags (the kernel keeps them in gfp_mask)
	count  uint64 // items present (not a kernel field; nrpages+nrshadows)
	slab   *RadixNodeSlab
}

// NewRadixTree is INIT_RADIX_TREE with nodes from slab (nil: a private one).
func NewRadixTree(slab *RadixNodeSlab) *RadixTree {
	t := &RadixTree{}
	t.SetSlab(slab)
	return t
}

// SetSlab makes an empty tree allocate from slab (nil: a private slab).
func (t *RadixTree) SetSlab(slab *RadixNodeSlab) {
	if t.rnode != 0 {
		panic("radix tree: SetSlab on a non-empty tree")
	}
	t.slab = slab
}

func init() {
	for _, s := range [...][2]string{
		{"Insert", "radix_tree_insert"},
		{"Lookup", "radix_tree_lookup"},
		{"LookupSlot", "radix_tree_lookup_slot"},
		{"CreateSlot", "__radix_tree_create"},
		{"Delete", "radix_tree_delete"},
		{"DeleteItem", "radix_tree_delete_item"},
		{"DeleteNode", "__radix_tree_delete_node"},
		{"TagSet", "radix_tree_tag_set"},
		{"TagClear", "radix_tree_tag_clear"},
		{"TagGet", "radix_tree_tag_get"},
		{"GangLookup", "radix_tree_gang_lookup_slot"},
		{"GangLookupTag", "radix_tree_gang_lookup_tag_slot"},
		{"RangeTagIfTagged", "radix_tree_range_tag_if_tagged"},
		{"Next", "radix_tree_next_chunk"},
		{"NextTagged", "radix_tree_next_chunk"},
		{"NextHole", "page_cache_next_hole"},
		{"Tagged", "radix_tree_tagged"},
	} {
		klog.RegisterSymbol("pagesim/mm.(*RadixTree)."+s[0], s[1])
	}
	// Inlines in the kernel, or helpers with no kernel counterpart.
	for _, f := range []string{"radixTreeShrink", "radixTreeBug", "nodes", "ReplaceSlot", "DerefSlot"} {
		klog.HideFunc("pagesim/mm.(*RadixTree)." + f)
	}
}

// radixTreeBug is BUG() at lib/radix-tree.c or include/linux/radix-tree.h.
// The tree has no machine log, so it panics with the Oops as a System
// without a log does.
func (t *RadixTree) radixTreeBug(file string, line int) {
	panic(&klog.Oops{File: file, Line: line, Msg: fmt.Sprintf("kernel BUG at %s:%d!", file, line)})
}

func (t *RadixTree) nodes() []radixNode {
	if t.slab == nil {
		t.slab = &RadixNodeSlab{}
	}
	return t.slab.nodes
}

// radixTreeMaxindex is radix_tree_maxindex(): the largest index a tree of
// the given height holds (height_to_maxindex[]).
func radixTreeMaxindex(height uint32) uint64 {
	if height*RADIX_TREE_MAP_SHIFT >= 64 {
		return ^uint64(0)
	}
	return 1<<(height*RADIX_TREE_MAP_SHIFT) - 1
}

// Height is root->height: 0 when the tree is empty or holds only index 0
// directly in the root.
func (t *RadixTree) Height() uint32 { return t.height }

// Count is the number of present entries (pages and exceptional entries).
func (t *RadixTree) Count() uint64 { return t.count }

// Tagged is radix_tree_tagged(): whether any item carries tag (the root tag).
func (t *RadixTree) Tagged(tag uint) bool { return t.tags&(1<<tag) != 0 }

// radixTreeExtend models radix_tree_extend(): add root nodes on top (each
// with the old root in slot 0 and the root tags copied onto that slot) until
// index fits. An empty tree just records the height.
func (t *RadixTree) radixTreeExtend(index uint64) {
	height := t.height + 1
	for index > radixTreeMaxindex(height) {
		height++
	}
	if t.rnode == 0 {
		t.height = height
		return
	}
	t.nodes()
	for {
		id := t.slab.radixTreeNodeAlloc()
		nodes := t.slab.nodes
		n := &nodes[id]
		for tag := 0; tag < RADIX_TREE_MAX_TAGS; tag++ {
			if t.tags&(1<<tag) != 0 {
				n.tags[tag] |= 1
			}
		}
		newHeight := t.height + 1
		n.height = uint8(newHeight)
		n.count = 1
		n.slots[0] = t.rnode
		if newHeight > 1 {
			nodes[t.rnode].parent = id
		}
		t.rnode = uint64(id)
		t.height = newHeight
		if height <= t.height {
			return
		}
	}
}

// CreateSlot models __radix_tree_create(): make sure the path to index
// exists and return its slot (Node 0: the root's direct slot). It does not
// store anything or change any count.
func (t *RadixTree) CreateSlot(index uint64) RadixSlot {
	if index > radixTreeMaxindex(t.height) {
		t.radixTreeExtend(index)
	}
	height := t.height
	if height == 0 {
		return RadixSlot{}
	}
	t.nodes()
	s := t.slab
	slot := t.rnode
	shift := (height - 1) * RADIX_TREE_MAP_SHIFT
	var node, offset uint32
	for {
		if slot == 0 {
			id := s.radixTreeNodeAlloc()
			child := &s.nodes[id]
			child.height = uint8(height)
			child.parent = node
			if node != 0 {
				p := &s.nodes[node]
				p.slots[offset] = uint64(id)
				p.count++
				child.offset = uint8(offset)
			} else {
				t.rnode = uint64(id)
			}
			slot = uint64(id)
		}
		offset = uint32(index>>shift) & RADIX_TREE_MAP_MASK
		node = uint32(slot)
		slot = s.nodes[node].slots[offset]
		if height == 1 {
			return RadixSlot{Node: RadixNodeID(node), Offset: offset}
		}
		shift -= RADIX_TREE_MAP_SHIFT
		height--
	}
}

// Insert models radix_tree_insert(): store entry at index, or return
// ErrRadixExist (-EEXIST) if something (even an exceptional entry) is there.
func (t *RadixTree) Insert(index, entry uint64) error {
	if entry&RADIX_TREE_INDIRECT_PTR != 0 {
		t.radixTreeBug("lib/radix-tree.c", 450)
	}
	sl := t.CreateSlot(index)
	if sl.Node == 0 {
		if t.rnode != 0 {
			return ErrRadixExist
		}
		t.rnode = entry | 1
		t.count++
		if t.tags&1 != 0 {
			t.radixTreeBug("lib/radix-tree.c", 464)
		}
		if t.tags&2 != 0 {
			t.radixTreeBug("lib/radix-tree.c", 465)
		}
		return nil
	}
	n := &t.slab.nodes[sl.Node]
	if n.slots[sl.Offset] != 0 {
		return ErrRadixExist
	}
	n.slots[sl.Offset] = entry | 1
	n.count++
	t.count++
	if n.tags[0]&(1<<sl.Offset) != 0 {
		t.radixTreeBug("lib/radix-tree.c", 461)
	}
	if n.tags[1]&(1<<sl.Offset) != 0 {
		t.radixTreeBug("lib/radix-tree.c", 462)
	}
	return nil
}

// __radixTreeLookup models __radix_tree_lookup(): the stored slot value
// (entry|1, or 0 when absent) and where it is.
func (t *RadixTree) __radixTreeLookup(index uint64) (RadixSlot, uint64) {
	if t.rnode == 0 {
		return RadixSlot{}, 0
	}
	height := t.height
	if height == 0 {
		if index > 0 {
			return RadixSlot{}, 0
		}
		return RadixSlot{}, t.rnode
	}
	if index > radixTreeMaxindex(height) {
		return RadixSlot{}, 0
	}
	nodes := t.slab.nodes
	shift := (height - 1) * RADIX_TREE_MAP_SHIFT
	id := uint32(t.rnode)
	for {
		off := uint32(index>>shift) & RADIX_TREE_MAP_MASK
		v := nodes[id].slots[off]
		if v == 0 {
			return RadixSlot{}, 0
		}
		if height == 1 {
			return RadixSlot{Node: RadixNodeID(id), Offset: off}, v
		}
		id = uint32(v)
		shift -= RADIX_TREE_MAP_SHIFT
		height--
	}
}

// Lookup models radix_tree_lookup().
func (t *RadixTree) Lookup(index uint64) (entry uint64, ok bool) {
	_, v := t.__radixTreeLookup(index)
	return v &^ 1, v != 0
}

// LookupSlot models radix_tree_lookup_slot(): the slot of a present item.
func (t *RadixTree) LookupSlot(index uint64) (RadixSlot, bool) {
	sl, v := t.__radixTreeLookup(index)
	return sl, v != 0
}

// DerefSlot models radix_tree_deref_slot(): the slot's entry, if any.
func (t *RadixTree) DerefSlot(sl RadixSlot) (entry uint64, ok bool) {
	var v uint64
	if sl.Node == 0 {
		if t.height == 0 {
			v = t.rnode
		}
	} else {
		v = t.slab.nodes[sl.Node].slots[sl.Offset]
	}
	return v &^ 1, v != 0
}

// ReplaceSlot models radix_tree_replace_slot(): store entry (RadixEmpty for
// NULL) in a slot from LookupSlot or CreateSlot. Like the kernel it touches
// neither tags nor node->count; Count() follows the slot's occupancy.
func (t *RadixTree) ReplaceSlot(sl RadixSlot, entry uint64) {
	var v uint64
	if entry != RadixEmpty {
		if entry&RADIX_TREE_INDIRECT_PTR != 0 {
			t.radixTreeBug("include/linux/radix-tree.h", 259)
		}
		v = entry | 1
	}
	var p *uint64
	if sl.Node == 0 {
		if t.height != 0 {
			panic("radix tree: root slot of a tree with nodes")
		}
		p = &t.rnode
	} else {
		p = &t.slab.nodes[sl.Node].slots[sl.Offset]
	}
	switch {
	case *p == 0 && v != 0:
		t.count++
	case *p != 0 && v == 0:
		t.count--
	}
	*p = v
}

// NodeCount is node->count, including the page cache's shadow count above
// RADIX_TREE_COUNT_SHIFT (workingset_node_pages/workingset_node_shadows).
func (t *RadixTree) NodeCount(n RadixNodeID) uint32 { return t.slab.nodes[n].count }

// SetNodeCount sets node->count, for workingset_node_{pages,shadows}_{inc,dec}.
func (t *RadixTree) SetNodeCount(n RadixNodeID, count uint32) { t.slab.nodes[n].count = count }

// TagSet models radix_tree_tag_set(): tag the item at index and every node
// on its path, and the root. Tagging an absent item is a BUG.
func (t *RadixTree) TagSet(index uint64, tag uint) (entry uint64, ok bool) {
	height := t.height
	if index > radixTreeMaxindex(height) {
		t.radixTreeBug("lib/radix-tree.c", 594)
	}
	slot := t.rnode
	if height > 0 {
		nodes := t.slab.nodes
		shift := (height - 1) * RADIX_TREE_MAP_SHIFT
		for {
			off := (index >> shift) & RADIX_TREE_MAP_MASK
			n := &nodes[slot]
			n.tags[tag] |= 1 << off
			slot = n.slots[off]
			if slot == 0 {
				t.radixTreeBug("lib/radix-tree.c", 606)
			}
			if height == 1 {
				break
			}
			shift -= RADIX_TREE_MAP_SHIFT
			height--
		}
	}
	if slot != 0 {
		t.tags |= 1 << tag
	}
	return slot &^ 1, slot != 0
}

// TagClear models radix_tree_tag_clear(): clear tag on the item at index,
// then on each ancestor whose node has no other slot so tagged, and on the
// root if that reaches the top. Returns the item, as radix_tree_lookup.
func (t *RadixTree) TagClear(index uint64, tag uint) (entry uint64, ok bool) {
	height := t.height
	if index > radixTreeMaxindex(height) {
		return 0, false
	}
	slot := t.rnode
	var node uint32
	var off uint64
	var nodes []radixNode
	if height > 0 {
		nodes = t.slab.nodes
	}
	for shift := height * RADIX_TREE_MAP_SHIFT; shift > 0; {
		if slot == 0 {
			return 0, false
		}
		shift -= RADIX_TREE_MAP_SHIFT
		off = (index >> shift) & RADIX_TREE_MAP_MASK
		node = uint32(slot)
		slot = nodes[node].slots[off]
	}
	if slot == 0 {
		return 0, false
	}
	for node != 0 {
		n := &nodes[node]
		if n.tags[tag]&(1<<off) == 0 {
			return slot &^ 1, true
		}
		n.tags[tag] &^= 1 << off
		if n.tags[tag] != 0 {
			return slot &^ 1, true
		}
		index >>= RADIX_TREE_MAP_SHIFT
		off = index & RADIX_TREE_MAP_MASK
		node = n.parent
	}
	t.tags &^= 1 << tag
	return slot &^ 1, true
}

// TagGet models radix_tree_tag_get(): whether the item at index has tag.
func (t *RadixTree) TagGet(index uint64, tag uint) bool {
	if t.tags&(1<<tag) == 0 || t.rnode == 0 {
		return false
	}
	height := t.height
	if height == 0 {
		return index == 0
	}
	if index > radixTreeMaxindex(height) {
		return false
	}
	nodes := t.slab.nodes
	shift := (height - 1) * RADIX_TREE_MAP_SHIFT
	id := t.rnode
	for {
		if id == 0 {
			return false
		}
		off := (index >> shift) & RADIX_TREE_MAP_MASK
		n := &nodes[id]
		if n.tags[tag]&(1<<off) == 0 {
			return false
		}
		if height == 1 {
			return true
		}
		id = n.slots[off]
		shift -= RADIX_TREE_MAP_SHIFT
		height--
	}
}

// radixTreeNextChunk models radix_tree_next_chunk(): the first present (or,
// if tagged, tag-carrying) slot at or after index. It returns the leaf node
// (0 for the root's direct slot), the slot's offset and its index. Model:
// the chunk is always the rest of one leaf; callers walk it themselves.
func (t *RadixTree) radixTreeNextChunk(index uint64, tagged bool, tag uint) (leaf, off uint32, at uint64, ok bool) {
	if tagged && t.tags&(1<<tag) == 0 {
		return 0, 0, 0, false
	}
	if t.rnode == 0 {
		return 0, 0, 0, false
	}
	if t.height == 0 {
		if index == 0 {
			return 0, 0, 0, true
		}
		return 0, 0, 0, false
	}
	nodes := t.slab.nodes
restart:
	shift := (t.height - 1) * RADIX_TREE_MAP_SHIFT
	offset := index >> shift
	if offset >= RADIX_TREE_MAP_SIZE {
		return 0, 0, 0, false
	}
	id := uint32(t.rnode)
	for {
		n := &nodes[id]
		var hole bool
		if tagged {
			hole = n.tags[tag]&(1<<offset) == 0
		} else {
			hole = n.slots[offset] == 0
		}
		if hole {
			if tagged {
				rest := n.tags[tag] >> offset >> 1
				if rest == 0 {
					offset = RADIX_TREE_MAP_SIZE
				} else {
					offset += 1 + uint64(bits.TrailingZeros64(rest))
				}
			} else {
				for offset++; offset < RADIX_TREE_MAP_SIZE; offset++ {
					if n.slots[offset] != 0 {
						break
					}
				}
			}
			index &^= uint64(RADIX_TREE_MAP_SIZE)<<shift - 1
			index += offset << shift
			if index == 0 { // wrapped past ^0
				return 0, 0, 0, false
			}
			if offset == RADIX_TREE_MAP_SIZE {
				goto restart
			}
		}
		if shift == 0 {
			return id, uint32(offset), index, true
		}
		id = uint32(n.slots[offset])
		if id == 0 {
			goto restart
		}
		shift -= RADIX_TREE_MAP_SHIFT
		offset = (index >> shift) & RADIX_TREE_MAP_MASK
	}
}

// Next is one step of radix_tree_for_each_slot: the first present entry at
// or after index.
func (t *RadixTree) Next(index uint64) (at, entry uint64, ok bool) {
	leaf, off, at, ok := t.radixTreeNextChunk(index, false, 0)
	if !ok {
		return 0, 0, false
	}
	if leaf == 0 {
		return 0, t.rnode &^ 1, true
	}
	return at, t.slab.nodes[leaf].slots[off] &^ 1, true
}

// NextTagged is one step of radix_tree_for_each_tagged: the first entry
// carrying tag at or after index.
func (t *RadixTree) NextTagged(index uint64, tag uint) (at, entry uint64, ok bool) {
	leaf, off, at, ok := t.radixTreeNextChunk(index, true, tag)
	if !ok {
		return 0, 0, false
	}
	if leaf == 0 {
		return 0, t.rnode &^ 1, true
	}
	return at, t.slab.nodes[leaf].slots[off] &^ 1, true
}

// GangLookup models radix_tree_gang_lookup() / radix_tree_gang_lookup_slot()
// with indices: append up to max present items at or after first to dst,
// in ascending index order. It allocates only if dst must grow.
func (t *RadixTree) GangLookup(dst []RadixItem, first uint64, max int) []RadixItem {
	if max <= 0 {
		return dst
	}
	n := 0
	index := first
	for {
		leaf, off, at, ok := t.radixTreeNextChunk(index, false, 0)
		if !ok {
			return dst
		}
		if leaf == 0 {
			return append(dst, RadixItem{0, t.rnode &^ 1})
		}
		node := &t.slab.nodes[leaf]
		for o := off; o < RADIX_TREE_MAP_SIZE; o++ {
			if v := node.slots[o]; v != 0 {
				dst = append(dst, RadixItem{at + uint64(o-off), v &^ 1})
				if n++; n == max {
					return dst
				}
			}
		}
		index = (at | RADIX_TREE_MAP_MASK) + 1
		if index == 0 {
			return dst
		}
	}
}

// GangLookupTag models radix_tree_gang_lookup_tag() (with indices, as
// radix_tree_gang_lookup_tag_slot): append up to max items carrying tag at
// or after first to dst, in ascending index order.
func (t *RadixTree) GangLookupTag(dst []RadixItem, first uint64, max int, tag uint) []RadixItem {
	if max <= 0 {
		return dst
	}
	n := 0
	index := first
	for {
		leaf, off, at, ok := t.radixTreeNextChunk(index, true, tag)
		if !ok {
			return dst
		}
		if leaf == 0 {
			return append(dst, RadixItem{0, t.rnode &^ 1})
		}
		node := &t.slab.nodes[leaf]
		for tags := node.tags[tag] >> off; tags != 0; {
			o := uint32(bits.TrailingZeros64(tags))
			tags &^= 1 << o
			dst = append(dst, RadixItem{at + uint64(o), node.slots[off+o] &^ 1})
			if n++; n == max {
				return dst
			}
		}
		index = (at | RADIX_TREE_MAP_MASK) + 1
		if index == 0 {
			return dst
		}
	}
}

// RangeTagIfTagged models radix_tree_range_tag_if_tagged(): for items in
// [first, last] carrying iftag, set settag (leaf first, then up the path),
// stopping after nrToTag items. It returns how many it tagged and the first
// index not scanned (the kernel's *first_indexp; it may wrap to 0).
func (t *RadixTree) RangeTagIfTagged(first, last, nrToTag uint64, iftag, settag uint) (tagged, next uint64) {
	height := t.height
	last = min(last, radixTreeMaxindex(height))
	index := first
	if index > last || nrToTag == 0 {
		return 0, first
	}
	if t.tags&(1<<iftag) == 0 {
		return 0, last + 1
	}
	if height == 0 {
		t.tags |= 1 << settag
		return 1, last + 1
	}
	nodes := t.slab.nodes
	shift := (height - 1) * RADIX_TREE_MAP_SHIFT
	slot := uint32(t.rnode)
	var node uint32 // parent of slot, while the path above still needs tagging
	for {
		off := (index >> shift) & RADIX_TREE_MAP_MASK
		n := &nodes[slot]
		if n.slots[off] != 0 && n.tags[iftag]&(1<<off) != 0 {
			if shift > 0 {
				shift -= RADIX_TREE_MAP_SHIFT
				node = slot
				slot = uint32(n.slots[off])
				continue
			}
			tagged++
			n.tags[settag] |= 1 << off
			for up := index; node != 0; {
				up >>= RADIX_TREE_MAP_SHIFT
				o := up & RADIX_TREE_MAP_MASK
				p := &nodes[node]
				if p.tags[settag]&(1<<o) != 0 {
					break
				}
				p.tags[settag] |= 1 << o
				node = p.parent
			}
			node = 0
		}
		index = ((index >> shift) + 1) << shift
		if index > last || index == 0 {
			break
		}
		if tagged >= nrToTag {
			break
		}
		for (index>>shift)&RADIX_TREE_MAP_MASK == 0 {
			slot = nodes[slot].parent
			shift += RADIX_TREE_MAP_SHIFT
		}
	}
	if tagged > 0 {
		t.tags |= 1 << settag
	}
	return tagged, index
}

// radixTreeShrink models radix_tree_shrink(): while the root node's only
// child is in slot 0, make that child the root (at height 1, the item goes
// directly into the root). Root tags are kept. Model: the freed node's
// slot 0 is not marked indirect, there being no lockless readers.
func (t *RadixTree) radixTreeShrink() {
	nodes := t.slab.nodes
	for t.height > 0 {
		id := uint32(t.rnode)
		n := &nodes[id]
		if n.count != 1 || n.slots[0] == 0 {
			return
		}
		child := n.slots[0]
		if t.height > 1 {
			nodes[child].parent = 0
		}
		t.rnode = child
		t.height--
		t.slab.radixTreeNodeFree(id)
	}
}

// DeleteNode models __radix_tree_delete_node(): after a slot of node was
// emptied, free node and each ancestor left with count 0, and shrink the
// tree if the walk stops at the root. Reports whether node was freed.
func (t *RadixTree) DeleteNode(node RadixNodeID) bool {
	deleted := false
	id := uint32(node)
	nodes := t.slab.nodes
	for id != 0 {
		n := &nodes[id]
		if n.count != 0 {
			if t.height > 0 && uint64(id) == t.rnode {
				t.radixTreeShrink()
				if t.height == 0 {
					deleted = true
				}
			}
			return deleted
		}
		parent := n.parent
		if parent != 0 {
			p := &nodes[parent]
			p.slots[n.offset] = 0
			p.count--
		} else {
			t.tags = 0
			t.height = 0
			t.rnode = 0
		}
		t.slab.radixTreeNodeFree(id)
		deleted = true
		id = parent
	}
	return deleted
}

// DeleteItem models radix_tree_delete_item(): remove the entry at index if
// it equals item, clearing its tags and freeing emptied nodes.
func (t *RadixTree) DeleteItem(index, item uint64) (entry uint64, ok bool) {
	return t.radixTreeDeleteItem(index, item, true)
}

// Delete models radix_tree_delete(): remove whatever is at index.
func (t *RadixTree) Delete(index uint64) (entry uint64, ok bool) {
	return t.radixTreeDeleteItem(index, 0, false)
}

// radixTreeDeleteItem is radix_tree_delete_item(); match false stands for
// item == NULL.
func (t *RadixTree) radixTreeDeleteItem(index, item uint64, match bool) (uint64, bool) {
	sl, v := t.__radixTreeLookup(index)
	if v == 0 {
		return 0, false
	}
	entry := v &^ 1
	if match && entry != item {
		return 0, false
	}
	t.count--
	if sl.Node == 0 {
		t.tags = 0
		t.rnode = 0
		return entry, true
	}
	nodes := t.slab.nodes
	n := &nodes[sl.Node]
	for tag := uint(0); tag < RADIX_TREE_MAX_TAGS; tag++ {
		if n.tags[tag]&(1<<sl.Offset) != 0 {
			t.TagClear(index, tag)
		}
	}
	n.slots[sl.Offset] = 0
	n.count--
	t.DeleteNode(sl.Node)
	return entry, true
}

// NextHole models page_cache_next_hole() on this tree: the first index in
// [index, index+maxScan) with no entry or an exceptional one; if there is
// none, index+maxScan (or 0 if the scan wrapped past ^0).
func (t *RadixTree) NextHole(index, maxScan uint64) uint64 {
	for i := uint64(0); i < maxScan; {
		if t.height == 0 {
			e, ok := t.Lookup(index)
			if !ok || RadixTreeExceptionalEntry(e) {
				return index
			}
			index++
			i++
			if index == 0 {
				return index
			}
			continue
		}
		sl, v := t.__radixTreeLookup(index)
		if v == 0 || v&RADIX_TREE_EXCEPTIONAL_ENTRY != 0 {
			return index
		}
		// Walk the rest of this leaf without descending again.
		n := &t.slab.nodes[sl.Node]
		for off := sl.Offset; off < RADIX_TREE_MAP_SIZE && i < maxScan; off++ {
			v := n.slots[off]
			if v == 0 || v&RADIX_TREE_EXCEPTIONAL_ENTRY != 0 {
				return index
			}
			index++
			i++
			if index == 0 {
				return index
			}
		}
	}
	return index
}

// verify checks the tree's structural invariants: node heights, parent
// links and offsets, node->count (children of an interior node; pages plus
// shadows of a leaf), tag propagation (a tag bit is set only on a present
// slot, and on an interior slot exactly when the child has that tag
// somewhere), the root tags, and Count.
func (t *RadixTree) verify() error {
	if t.rnode == 0 {
		if t.height != 0 || t.tags != 0 || t.count != 0 {
			return fmt.Errorf("empty tree: height %d tags %#x count %d", t.height, t.tags, t.count)
		}
		return nil
	}
	if t.height == 0 {
		if t.count != 1 {
			return fmt.Errorf("direct root: count %d", t.count)
		}
		return nil
	}
	var items uint64
	var walk func(id, parent, off, height uint32) (uint8, error)
	walk = func(id, parent, off, height uint32) (uint8, error) {
		if id == 0 || int(id) >= len(t.slab.nodes) {
			return 0, fmt.Errorf("bad node id %d", id)
		}
		n := &t.slab.nodes[id]
		if uint32(n.height) != height || n.parent != parent || uint32(n.offset) != off {
			return 0, fmt.Errorf("node %d: height %d parent %d offset %d, want %d %d %d",
				id, n.height, n.parent, n.offset, height, parent, off)
		}
		var present uint64
		for o := uint32(0); o < RADIX_TREE_MAP_SIZE; o++ {
			v := n.slots[o]
			if v == 0 {
				continue
			}
			present |= 1 << o
			if height == 1 {
				items++
				continue
			}
			ct, err := walk(uint32(v), id, o, height-1)
			if err != nil {
				return 0, err
			}
			for tag := 0; tag < RADIX_TREE_MAX_TAGS; tag++ {
				if set := n.tags[tag]&(1<<o) != 0; set != (ct&(1<<tag) != 0) {
					return 0, fmt.Errorf("node %d slot %d tag %d is %v, child disagrees", id, o, tag, set)
				}
			}
		}
		var have uint8
		for tag := 0; tag < RADIX_TREE_MAX_TAGS; tag++ {
			if n.tags[tag]&^present != 0 {
				return 0, fmt.Errorf("node %d tag %d on empty slots %#x", id, tag, n.tags[tag]&^present)
			}
			if n.tags[tag] != 0 {
				have |= 1 << tag
			}
		}
		want := uint32(bits.OnesCount64(present))
		got := n.count
		if height == 1 {
			got = n.count&RADIX_TREE_COUNT_MASK + n.count>>RADIX_TREE_COUNT_SHIFT
		}
		if got != want {
			return 0, fmt.Errorf("node %d: count %#x, %d slots present", id, n.count, want)
		}
		return have, nil
	}
	have, err := walk(uint32(t.rnode), 0, 0, t.height)
	if err != nil {
		return err
	}
	if have != t.tags {
		return fmt.Errorf("root tags %#x, root node has %#x", t.tags, have)
	}
	if items != t.count {
		return fmt.Errorf("count %d, %d items", t.count, items)
	}
	return nil
}
