// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"pagesim/klog"
)

func radixMustVerify(t testing.TB, rt *RadixTree) {
	t.Helper()
	if err := rt.verify(); err != nil {
		t.Fatal(err)
	}
}

// Kernel rule: the tree is as tall as the largest index needs
// (radix_tree_extend) and shrinks back when only slot 0 of the root is left
// (radix_tree_shrink); nodes go back to the slab.
func TestRadixInsertLookupDeleteHeights(t *testing.T) {
	slab := NewRadixNodeSlab()
	rt := NewRadixTree(slab)
	steps := []struct {
		index  uint64
		height uint32
	}{{0, 0}, {63, 1}, {64, 2}, {4095, 2}, {1 << 20, 4}, {1 << 40, 7}, {^uint64(0), 11}}
	for _, s := range steps {
		if err := rt.Insert(s.index, PFNToRadixEntry(s.index&0xffff)); err != nil {
			t.Fatalf("insert %#x: %v", s.index, err)
		}
		if rt.Height() != s.height {
			t.Fatalf("after insert %#x height %d, want %d", s.index, rt.Height(), s.height)
		}
		radixMustVerify(t, rt)
	}
	for _, s := range steps {
		e, ok := rt.Lookup(s.index)
		if !ok || RadixEntryToPFN(e) != s.index&0xffff {
			t.Fatalf("lookup %#x = %#x %v", s.index, e, ok)
		}
	}
	for _, idx := range []uint64{1, 62, 65, 4096, 1<<20 + 1, 1<<40 - 1, ^uint64(0) - 1} {
		if _, ok := rt.Lookup(idx); ok {
			t.Fatalf("lookup %#x found an entry", idx)
		}
	}
	if rt.Count() != uint64(len(steps)) {
		t.Fatalf("count %d", rt.Count())
	}
	// Delete from the top down: the height follows the largest index left.
	for i := len(steps) - 1; i > 0; i-- {
		if _, ok := rt.Delete(steps[i].index); !ok {
			t.Fatalf("delete %#x", steps[i].index)
		}
		radixMustVerify(t, rt)
		if want := steps[i-1].height; rt.Height() != want {
			t.Fatalf("after delete %#x height %d, want %d", steps[i].index, rt.Height(), want)
		}
	}
	if rt.Height() != 0 || slab.InUse() != 0 || rt.Count() != 1 {
		t.Fatalf("height %d nodes %d count %d", rt.Height(), slab.InUse(), rt.Count())
	}
	if _, ok := rt.Delete(0); !ok || rt.Count() != 0 {
		t.Fatal("delete 0")
	}
	if _, ok := rt.Delete(0); ok {
		t.Fatal("double delete")
	}
	radixMustVerify(t, rt)

	// Deleting the low items of a tall tree leaves the root with its one
	// child off slot 0: it must not shrink.
	rt.Insert(5, 0)
	rt.Insert(1<<30, 0)
	rt.Delete(5)
	radixMustVerify(t, rt)
	if rt.Height() != 6 {
		t.Fatalf("height %d, want 6", rt.Height())
	}
	rt.Delete(1 << 30)
	if rt.Height() != 0 || slab.InUse() != 0 {
		t.Fatalf("height %d nodes %d", rt.Height(), slab.InUse())
	}
}

// Kernel rule: radix_tree_insert returns -EEXIST for an occupied index and
// leaves the old item in place.
func TestRadixInsertEEXIST(t *testing.T) {
	var rt RadixTree
	for _, idx := range []uint64{0, 100} {
		if err := rt.Insert(idx, PFNToRadixEntry(1)); err != nil {
			t.Fatal(err)
		}
		if err := rt.Insert(idx, PFNToRadixEntry(2)); !errors.Is(err, ErrRadixExist) {
			t.Fatalf("second insert at %d: %v", idx, err)
		}
		if e, _ := rt.Lookup(idx); RadixEntryToPFN(e) != 1 {
			t.Fatalf("entry replaced: %#x", e)
		}
	}
	if rt.Count() != 2 {
		t.Fatalf("count %d", rt.Count())
	}
}

// Kernel rule: an item with the RADIX_TREE_INDIRECT_PTR bit is a BUG.
func TestRadixInsertIndirectBug(t *testing.T) {
	var rt RadixTree
	defer func() {
		o, ok := recover().(*klog.Oops)
		if !ok || o.File != "lib/radix-tree.c" || o.Line != 450 {
			t.Fatalf("recovered %v", o)
		}
	}()
	rt.Insert(3, 1)
}

// Exceptional entries (shadow and swap entries) round-trip and are told
// from pages; PFN 0 is an entry, not an empty slot.
func TestRadixExceptionalEntries(t *testing.T) {
	var rt RadixTree
	shadow := ExceptionalToRadixEntry(0x3fff_ffff_ffff_ffff)
	rt.Insert(0, PFNToRadixEntry(0))
	rt.Insert(1, shadow)
	rt.Insert(2, PFNToRadixEntry(7))
	if e, ok := rt.Lookup(0); !ok || e != 0 || RadixTreeExceptionalEntry(e) {
		t.Fatalf("pfn 0: %#x %v", e, ok)
	}
	e, ok := rt.Lookup(1)
	if !ok || !RadixTreeExceptionalEntry(e) || !RadixTreeException(e) || RadixEntryToExceptional(e) != 0x3fff_ffff_ffff_ffff {
		t.Fatalf("shadow: %#x %v", e, ok)
	}
	// page_cache_next_hole treats an exceptional entry as a hole.
	if h := rt.NextHole(0, 10); h != 1 {
		t.Fatalf("next hole %d", h)
	}
	if h := rt.NextHole(2, 10); h != 3 {
		t.Fatalf("next hole %d", h)
	}
	if h := rt.NextHole(2, 1); h != 3 {
		t.Fatalf("next hole, max 1: %d", h)
	}
	// page_cache_tree_insert: replace the shadow with a page in place.
	sl := rt.CreateSlot(1)
	if old, ok := rt.DerefSlot(sl); !ok || old != shadow {
		t.Fatalf("deref %#x %v", old, ok)
	}
	rt.ReplaceSlot(sl, PFNToRadixEntry(9))
	if e, _ := rt.Lookup(1); e != PFNToRadixEntry(9) {
		t.Fatalf("after replace %#x", e)
	}
	// radix_tree_delete_item only removes the expected item.
	if _, ok := rt.DeleteItem(1, shadow); ok {
		t.Fatal("delete_item removed a different item")
	}
	if _, ok := rt.DeleteItem(1, PFNToRadixEntry(9)); !ok {
		t.Fatal("delete_item")
	}
	radixMustVerify(t, &rt)
	// page_cache_tree_delete with a NULL shadow.
	sl, _ = rt.LookupSlot(2)
	rt.ReplaceSlot(sl, RadixEmpty)
	rt.SetNodeCount(sl.Node, rt.NodeCount(sl.Node)-1)
	rt.DeleteNode(sl.Node)
	radixMustVerify(t, &rt)
	if rt.Height() != 0 || rt.Count() != 1 {
		t.Fatalf("height %d count %d", rt.Height(), rt.Count())
	}
}

// A tree holding only index 0 keeps it in the root (height 0, no nodes);
// every operation handles that form.
func TestRadixDirectRoot(t *testing.T) {
	slab := NewRadixNodeSlab()
	rt := NewRadixTree(slab)
	rt.Insert(0, PFNToRadixEntry(5))
	rt.TagSet(0, PAGECACHE_TAG_DIRTY)
	if rt.Height() != 0 || slab.InUse() != 0 {
		t.Fatal("index 0 alone needs no node")
	}
	if h := rt.NextHole(0, 5); h != 1 {
		t.Fatalf("next hole %d", h)
	}
	if g := rt.GangLookupTag(nil, 0, 5, PAGECACHE_TAG_DIRTY); len(g) != 1 || g[0] != (RadixItem{0, PFNToRadixEntry(5)}) {
		t.Fatalf("gang lookup tag %v", g)
	}
	if g := rt.GangLookup(nil, 1, 5); len(g) != 0 {
		t.Fatalf("gang lookup from 1: %v", g)
	}
	if at, e, ok := rt.NextTagged(0, PAGECACHE_TAG_DIRTY); !ok || at != 0 || e != PFNToRadixEntry(5) {
		t.Fatal("next tagged")
	}
	if _, _, ok := rt.Next(1); ok {
		t.Fatal("next from 1")
	}
	if tg, nx := rt.RangeTagIfTagged(0, 100, 5, PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE); tg != 1 || nx != 1 || !rt.TagGet(0, PAGECACHE_TAG_TOWRITE) {
		t.Fatal("range tag on the direct root")
	}
	sl, ok := rt.LookupSlot(0)
	if !ok || sl.Node != 0 {
		t.Fatal("lookup slot")
	}
	rt.ReplaceSlot(sl, ExceptionalToRadixEntry(3))
	if h := rt.NextHole(0, 5); h != 0 {
		t.Fatalf("next hole over a shadow %d", h)
	}
	radixMustVerify(t, rt)
	// page_cache_next_hole stops when the index wraps.
	var top RadixTree
	top.Insert(^uint64(0), 0)
	if h := top.NextHole(^uint64(0), 5); h != 0 {
		t.Fatalf("next hole at the top %#x", h)
	}
}

// Kernel rule: a tag set on a deep item is set on every node of its path and
// on the root; clearing the last tagged item clears it all the way up.
func TestRadixTagPropagation(t *testing.T) {
	var rt RadixTree
	deep := uint64(1)<<40 + 12345
	for _, idx := range []uint64{0, 77, deep} {
		rt.Insert(idx, PFNToRadixEntry(idx&0xff))
	}
	if rt.Tagged(PAGECACHE_TAG_DIRTY) {
		t.Fatal("tagged before any tag_set")
	}
	if _, ok := rt.TagSet(deep, PAGECACHE_TAG_DIRTY); !ok {
		t.Fatal("tag_set")
	}
	radixMustVerify(t, &rt)
	if !rt.Tagged(PAGECACHE_TAG_DIRTY) || !rt.TagGet(deep, PAGECACHE_TAG_DIRTY) ||
		rt.TagGet(0, PAGECACHE_TAG_DIRTY) || rt.TagGet(77, PAGECACHE_TAG_DIRTY) ||
		rt.Tagged(PAGECACHE_TAG_WRITEBACK) || rt.TagGet(deep, PAGECACHE_TAG_WRITEBACK) {
		t.Fatal("tags after setting DIRTY on the deep item")
	}
	rt.TagSet(77, PAGECACHE_TAG_DIRTY)
	rt.TagClear(deep, PAGECACHE_TAG_DIRTY)
	radixMustVerify(t, &rt)
	if !rt.Tagged(PAGECACHE_TAG_DIRTY) || rt.TagGet(deep, PAGECACHE_TAG_DIRTY) {
		t.Fatal("root tag must stay while 77 is dirty")
	}
	rt.TagClear(77, PAGECACHE_TAG_DIRTY)
	radixMustVerify(t, &rt)
	if rt.Tagged(PAGECACHE_TAG_DIRTY) {
		t.Fatal("root tag left after clearing the last tagged item")
	}
	// Clearing an untagged or absent item changes nothing.
	if _, ok := rt.TagClear(5, PAGECACHE_TAG_DIRTY); ok {
		t.Fatal("tag_clear found an absent item")
	}
	// Delete clears the item's tags (radix_tree_delete_item).
	rt.TagSet(deep, PAGECACHE_TAG_WRITEBACK)
	rt.TagSet(deep, PAGECACHE_TAG_TOWRITE)
	rt.Delete(deep)
	radixMustVerify(t, &rt)
	if rt.Tagged(PAGECACHE_TAG_WRITEBACK) || rt.Tagged(PAGECACHE_TAG_TOWRITE) {
		t.Fatal("delete left root tags")
	}
	// The direct root item's tags are the root tags; extend carries them
	// into slot 0 of the new root node.
	var r2 RadixTree
	r2.Insert(0, 0)
	r2.TagSet(0, PAGECACHE_TAG_DIRTY)
	if !r2.TagGet(0, PAGECACHE_TAG_DIRTY) || r2.TagGet(1, PAGECACHE_TAG_DIRTY) {
		t.Fatal("direct root tag")
	}
	r2.Insert(1000, 0)
	radixMustVerify(t, &r2)
	if !r2.TagGet(0, PAGECACHE_TAG_DIRTY) || r2.TagGet(1000, PAGECACHE_TAG_DIRTY) {
		t.Fatal("tag lost by extend")
	}
	r2.Delete(1000)
	if r2.Height() != 0 || !r2.TagGet(0, PAGECACHE_TAG_DIRTY) {
		t.Fatal("tag lost by shrink")
	}
}

// Kernel rule: tagging an absent item is a BUG (radix_tree_tag_set).
func TestRadixTagSetAbsentBug(t *testing.T) {
	var rt RadixTree
	rt.Insert(1, 0)
	defer func() {
		o, ok := recover().(*klog.Oops)
		if !ok || o.Line != 606 {
			t.Fatalf("recovered %v", o)
		}
	}()
	rt.TagSet(2, PAGECACHE_TAG_DIRTY)
}

func radixIndices(items []RadixItem) []uint64 {
	var out []uint64
	for _, it := range items {
		out = append(out, it.Index)
	}
	return out
}

// Gang lookups return items in ascending index order, from first, at most
// max of them.
func TestRadixGangLookup(t *testing.T) {
	var rt RadixTree
	idx := []uint64{0, 1, 63, 64, 200, 4095, 4096, 1 << 20, 1<<20 + 1, 1 << 40, ^uint64(0)}
	for i := len(idx) - 1; i >= 0; i-- {
		rt.Insert(idx[i], PFNToRadixEntry(uint64(i)))
	}
	for i := range idx {
		if i%2 == 1 {
			rt.TagSet(idx[i], PAGECACHE_TAG_DIRTY)
		}
	}
	got := rt.GangLookup(nil, 0, 100)
	if !slices.Equal(radixIndices(got), idx) {
		t.Fatalf("gang lookup %v", radixIndices(got))
	}
	for i, it := range got {
		if RadixEntryToPFN(it.Entry) != uint64(i) {
			t.Fatalf("item %d entry %#x", i, it.Entry)
		}
	}
	if g := radixIndices(rt.GangLookup(nil, 2, 3)); !slices.Equal(g, []uint64{63, 64, 200}) {
		t.Fatalf("gang lookup from 2 max 3: %v", g)
	}
	if g := radixIndices(rt.GangLookup(nil, 1<<40+1, 5)); !slices.Equal(g, []uint64{^uint64(0)}) {
		t.Fatalf("gang lookup at the top: %v", g)
	}
	if g := rt.GangLookup(nil, 0, 0); len(g) != 0 {
		t.Fatal("max 0")
	}
	want := []uint64{1, 64, 4095, 1 << 20, 1 << 40}
	if g := radixIndices(rt.GangLookupTag(nil, 0, 100, PAGECACHE_TAG_DIRTY)); !slices.Equal(g, want) {
		t.Fatalf("gang lookup tag %v", g)
	}
	if g := radixIndices(rt.GangLookupTag(nil, 65, 2, PAGECACHE_TAG_DIRTY)); !slices.Equal(g, want[2:4]) {
		t.Fatalf("gang lookup tag from 65 max 2: %v", g)
	}
	if g := rt.GangLookupTag(nil, 0, 100, PAGECACHE_TAG_WRITEBACK); len(g) != 0 {
		t.Fatal("untagged")
	}
	// Appending to a caller's buffer allocates nothing.
	buf := make([]RadixItem, 0, 16)
	if a := testing.AllocsPerRun(100, func() { buf = rt.GangLookup(buf[:0], 0, 16) }); a != 0 {
		t.Fatalf("gang lookup allocates %v", a)
	}
	if at, _, ok := rt.Next(201); !ok || at != 4095 {
		t.Fatalf("next %d %v", at, ok)
	}
	if at, _, ok := rt.NextTagged(4096, PAGECACHE_TAG_DIRTY); !ok || at != 1<<20 {
		t.Fatalf("next tagged %d %v", at, ok)
	}
}

// Kernel rule (radix_tree_range_tag_if_tagged, as tag_pages_for_writeback
// uses it): within [first, last], items with DIRTY get TOWRITE, at most nr
// per call, and *first_indexp moves past what was scanned.
func TestRadixRangeTagIfTagged(t *testing.T) {
	var rt RadixTree
	for i := uint64(0); i < 300; i++ {
		rt.Insert(i*7, PFNToRadixEntry(i))
		if i%3 == 0 {
			rt.TagSet(i*7, PAGECACHE_TAG_DIRTY)
		}
	}
	// Dirty items: multiples of 21. In [100, 1000]: 105..987, 43 of them.
	tagged, next := rt.RangeTagIfTagged(100, 1000, 10, PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE)
	if tagged != 10 || next != 21*14+1 {
		t.Fatalf("first batch: tagged %d next %d", tagged, next)
	}
	radixMustVerify(t, &rt)
	total := tagged
	for next <= 1000 && next != 0 {
		tagged, next = rt.RangeTagIfTagged(next, 1000, 10, PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE)
		total += tagged
	}
	if total != 43 {
		t.Fatalf("tagged %d in all", total)
	}
	radixMustVerify(t, &rt)
	got := radixIndices(rt.GangLookupTag(nil, 0, 1000, PAGECACHE_TAG_TOWRITE))
	var want []uint64
	for i := uint64(105); i <= 1000; i += 21 {
		want = append(want, i)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("TOWRITE items %v", got)
	}
	// Nothing dirty in range, or nr 0: first_index handling.
	if tg, nx := rt.RangeTagIfTagged(5, 4, 10, PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE); tg != 0 || nx != 5 {
		t.Fatal("first > last")
	}
	if tg, nx := rt.RangeTagIfTagged(5, 40, 0, PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE); tg != 0 || nx != 5 {
		t.Fatal("nr 0")
	}
	if tg, nx := rt.RangeTagIfTagged(5, 40, 9, PAGECACHE_TAG_WRITEBACK, PAGECACHE_TAG_TOWRITE); tg != 0 || nx != 41 {
		t.Fatal("iftag not in tree")
	}
}

// radixRef is the reference model: a map of entries and tag sets, read in
// sorted order.
type radixRef struct {
	m    map[uint64]uint64
	keys []uint64 // the keys of m, sorted
	tags [RADIX_TREE_MAX_TAGS]map[uint64]bool
}

func (r *radixRef) add(k, e uint64) {
	if i, found := slices.BinarySearch(r.keys, k); !found {
		r.keys = slices.Insert(r.keys, i, k)
	}
	r.m[k] = e
}

func (r *radixRef) del(k uint64) {
	if i, found := slices.BinarySearch(r.keys, k); found {
		r.keys = slices.Delete(r.keys, i, i+1)
	}
	delete(r.m, k)
	for tg := range r.tags {
		delete(r.tags[tg], k)
	}
}

// from returns, in index order, up to max keys >= first (with tag, if
// tag >= 0).
func (r *radixRef) from(first uint64, max int, tag int) []uint64 {
	i, _ := slices.BinarySearch(r.keys, first)
	var out []uint64
	for _, k := range r.keys[i:] {
		if len(out) == max {
			break
		}
		if tag < 0 || r.tags[tag][k] {
			out = append(out, k)
		}
	}
	return out
}

// A long random sequence of operations on two trees sharing a slab, against
// the reference model, with the structural invariants checked after every
// step early on and every tenth step later (the population peaks near 1000).
func TestRadixRandomAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 16))
	slab := NewRadixNodeSlab()
	trees := []*RadixTree{NewRadixTree(slab), NewRadixTree(slab)}
	refs := make([]*radixRef, len(trees))
	for i := range refs {
		refs[i] = &radixRef{m: map[uint64]uint64{}}
		for tg := range refs[i].tags {
			refs[i].tags[tg] = map[uint64]bool{}
		}
	}
	pick := func(ref *radixRef) uint64 {
		switch rng.IntN(6) {
		case 0:
			return rng.Uint64N(4)
		case 1:
			return rng.Uint64N(300)
		case 2:
			return rng.Uint64N(1 << 14)
		case 3:
			return rng.Uint64() >> rng.UintN(64)
		default:
			if len(ref.keys) > 0 {
				return ref.keys[rng.IntN(len(ref.keys))]
			}
			return rng.Uint64N(100)
		}
	}
	maxLen := 0
	for step := 0; step < 60000; step++ {
		maxLen = max(maxLen, len(refs[0].keys))
		ti := rng.IntN(len(trees))
		rt, ref := trees[ti], refs[ti]
		idx := pick(ref)
		tag := uint(rng.IntN(RADIX_TREE_MAX_TAGS))
		_, present := ref.m[idx]
		switch op := rng.IntN(13); op {
		case 0, 1, 2:
			e := PFNToRadixEntry(rng.Uint64N(1 << 40))
			if rng.IntN(4) == 0 {
				e = ExceptionalToRadixEntry(rng.Uint64N(1 << 50))
			}
			err := rt.Insert(idx, e)
			if present != (err != nil) {
				t.Fatalf("step %d insert %#x: %v, present %v", step, idx, err, present)
			}
			if !present {
				ref.add(idx, e)
			}
		case 3, 12:
			e, ok := rt.Delete(idx)
			if ok != present || (ok && e != ref.m[idx]) {
				t.Fatalf("step %d delete %#x: %#x %v", step, idx, e, ok)
			}
			ref.del(idx)
		case 4:
			if present {
				rt.TagSet(idx, tag)
				ref.tags[tag][idx] = true
			}
		case 5:
			e, ok := rt.TagClear(idx, tag)
			if ok != present || (ok && e != ref.m[idx]) {
				t.Fatalf("step %d tag_clear %#x: %#x %v", step, idx, e, ok)
			}
			delete(ref.tags[tag], idx)
		case 6:
			for tg := uint(0); tg < RADIX_TREE_MAX_TAGS; tg++ {
				if rt.TagGet(idx, tg) != ref.tags[tg][idx] {
					t.Fatalf("step %d tag_get %#x %d", step, idx, tg)
				}
				if rt.Tagged(tg) != (len(ref.tags[tg]) > 0) {
					t.Fatalf("step %d tagged %d", step, tg)
				}
			}
			e, ok := rt.Lookup(idx)
			if ok != present || (ok && e != ref.m[idx]) {
				t.Fatalf("step %d lookup %#x", step, idx)
			}
		case 7:
			max := 1 + rng.IntN(70)
			got := rt.GangLookup(nil, idx, max)
			var want []RadixItem
			for _, k := range ref.from(idx, max, -1) {
				want = append(want, RadixItem{k, ref.m[k]})
			}
			if !slices.Equal(got, want) {
				t.Fatalf("step %d gang lookup %#x max %d:\n got %v\nwant %v", step, idx, max, got, want)
			}
		case 8:
			max := 1 + rng.IntN(70)
			got := rt.GangLookupTag(nil, idx, max, tag)
			var want []RadixItem
			for _, k := range ref.from(idx, max, int(tag)) {
				want = append(want, RadixItem{k, ref.m[k]})
			}
			if !slices.Equal(got, want) {
				t.Fatalf("step %d gang lookup tag %d %#x max %d:\n got %v\nwant %v", step, tag, idx, max, got, want)
			}
		case 9:
			last := idx + rng.Uint64N(5000)
			if last < idx {
				last = ^uint64(0)
			}
			nr := rng.Uint64N(40)
			iftag, settag := tag, uint((tag+1+uint(rng.IntN(2)))%RADIX_TREE_MAX_TAGS)
			tagged, next := rt.RangeTagIfTagged(idx, last, nr, iftag, settag)
			var n uint64
			for _, k := range ref.from(idx, int(nr), int(iftag)) {
				if k > last || (next != 0 && k >= next) {
					break
				}
				ref.tags[settag][k] = true
				n++
			}
			if tagged != n {
				t.Fatalf("step %d range_tag_if_tagged [%#x,%#x] nr %d: tagged %d, want %d (next %#x)", step, idx, last, nr, tagged, n, next)
			}
		case 10:
			maxScan := rng.Uint64N(200)
			want := idx
			for i := uint64(0); i < maxScan; i++ {
				e, ok := ref.m[want]
				if !ok || RadixTreeExceptionalEntry(e) {
					break
				}
				if want++; want == 0 {
					break
				}
			}
			if got := rt.NextHole(idx, maxScan); got != want {
				t.Fatalf("step %d next_hole %#x %d: %#x want %#x", step, idx, maxScan, got, want)
			}
		case 11:
			if sl, ok := rt.LookupSlot(idx); ok {
				e := PFNToRadixEntry(rng.Uint64N(1 << 40))
				rt.ReplaceSlot(sl, e)
				ref.m[idx] = e
			} else if present {
				t.Fatalf("step %d lookup_slot %#x", step, idx)
			}
		}
		if step < 5000 || step%10 == 0 {
			if err := rt.verify(); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
		}
		if rt.Count() != uint64(len(ref.m)) {
			t.Fatalf("step %d count %d want %d", step, rt.Count(), len(ref.m))
		}
	}
	if maxLen < 100 {
		t.Fatalf("population peaked at %d", maxLen)
	}
	// Emptying both trees returns every node to the shared slab.
	for ti, rt := range trees {
		for _, k := range refs[ti].keys {
			rt.Delete(k)
		}
		radixMustVerify(t, rt)
	}
	if slab.InUse() != 0 {
		t.Fatalf("%d nodes leaked", slab.InUse())
	}
}

// RangeTagIfTagged's *first_indexp: in the reference the items tagged are
// the first nr in range; the loop above checks that and the count. Here the
// resumption point is checked against a simple scan.
func TestRadixRangeTagResume(t *testing.T) {
	var rt RadixTree
	for _, i := range []uint64{3, 64, 65, 130, 4100} {
		rt.Insert(i, 0)
		rt.TagSet(i, PAGECACHE_TAG_DIRTY)
	}
	var got [][2]uint64
	for first := uint64(0); first <= 5000 && first != 0 || len(got) == 0; {
		tg, next := rt.RangeTagIfTagged(first, 5000, 2, PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE)
		got = append(got, [2]uint64{tg, next})
		first = next
	}
	// Batches of 2: {3,64} stops in the leaf after 64; {65,130} after 130;
	// {4100}, then the scan steps over empty 64-slot blocks until it
	// passes last_index: the first unscanned index is 5056.
	want := [][2]uint64{{2, 65}, {2, 131}, {1, 5056}}
	if !slices.Equal(got, want) {
		t.Fatalf("batches %v, want %v", got, want)
	}
}

// Lookup and TagGet allocate nothing; Insert/Delete allocate nothing once the
// slab has nodes to reuse.
func TestRadixAllocations(t *testing.T) {
	var rt RadixTree
	for i := uint64(0); i < 5000; i += 3 {
		rt.Insert(i, PFNToRadixEntry(i))
	}
	rt.TagSet(300, PAGECACHE_TAG_DIRTY)
	if a := testing.AllocsPerRun(100, func() { rt.Lookup(300); rt.TagGet(300, PAGECACHE_TAG_DIRTY) }); a != 0 {
		t.Fatalf("lookup/tag_get allocate %v", a)
	}
	if a := testing.AllocsPerRun(100, func() {
		rt.Insert(1<<33, 0)
		rt.TagSet(1<<33, PAGECACHE_TAG_WRITEBACK)
		rt.Delete(1 << 33)
	}); a != 0 {
		t.Fatalf("insert/delete allocate %v", a)
	}
}

// One page-cache insert, lookup and delete in a file of 64Ki cached pages
// (every other index of a 128Ki-page range), at a random free index.
func BenchmarkRadixInsertLookupDelete(b *testing.B) {
	var rt RadixTree
	for i := uint64(0); i < 1<<17; i += 2 {
		rt.Insert(i, PFNToRadixEntry(i))
	}
	const n = 1 << 12
	keys := make([]uint64, n)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range keys {
		keys[i] = rng.Uint64N(1<<16)*2 + 1
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := keys[i%n]
		if rt.Insert(k, PFNToRadixEntry(k)) != nil {
			b.Fatal("insert")
		}
		if _, ok := rt.Lookup(k); !ok {
			b.Fatal("lookup")
		}
		rt.Delete(k)
	}
}

// find_get_pages_tag's pagevec of 14 DIRTY pages from a file of 64Ki pages,
// a quarter of them dirty.
func BenchmarkRadixGangLookupTag(b *testing.B) {
	var rt RadixTree
	for i := uint64(0); i < 1<<16; i++ {
		rt.Insert(i, PFNToRadixEntry(i))
		if i%4 == 0 {
			rt.TagSet(i, PAGECACHE_TAG_DIRTY)
		}
	}
	buf := make([]RadixItem, 0, 14) // PAGEVEC_SIZE
	b.ReportAllocs()
	b.ResetTimer()
	first := uint64(0)
	for i := 0; i < b.N; i++ {
		buf = rt.GangLookupTag(buf[:0], first, cap(buf), PAGECACHE_TAG_DIRTY)
		if len(buf) < cap(buf) {
			first = 0
		} else {
			first = buf[len(buf)-1].Index + 1
		}
	}
}
