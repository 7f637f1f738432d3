// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Kernel variants (DESIGN §8). A named kernel is v3.16 plus or minus a set
// of modeled patches and nothing else: v4.5 here means v3.16 with the 2015
// migration cleanup, not all of 4.5. Each patch is a small named branch in
// the one place the real patch touched (mm/migrate.go).

// Patch is one modeled kernel commit.
type Patch struct {
	ID      string // abbreviated upstream commit id, or a pagesim name for debug patches
	Title   string
	Version string // the release that first carried it
}

// Kernel is a named set of patches applied to (or reverted from) v3.16.
type Kernel struct {
	Name        string
	Description string
	// Applied and Reverted list patch IDs relative to v3.16.
	Applied, Reverted []string
}

// Describe says what the kernel is, for logs.
func (k *Kernel) Describe() string {
	d := "Linux v3.16 mm"
	for _, a := range k.Applied {
		d += " +" + a
	}
	for _, r := range k.Reverted {
		d += " -" + r
	}
	return d + " (" + k.Name + ")"
}

// Release is the utsname release the kernel reports (UTS_RELEASE, what
// uname -r and dump_stack's "CPU: ... Not tainted" line print): the
// version of its name with the sublevel made explicit, then "-pagesim" as
// CONFIG_LOCALVERSION: "3.16.0-rc1-pagesim" for v3.16-rc1, "3.16.0-pagesim"
// for v3.16, "4.5.0-pagesim" for v4.5. (Kbuild's KERNELRELEASE is
// VERSION.PATCHLEVEL.SUBLEVEL, then EXTRAVERSION "-rc1", then the local
// version.)
func (k *Kernel) Release() string {
	v := strings.TrimPrefix(k.Name, "v")
	extra := ""
	if i := strings.IndexByte(v, '-'); i >= 0 {
		v, extra = v[:i], v[i:]
	}
	if strings.Count(v, ".") == 1 {
		v += ".0"
	}
	return v + extra + "-pagesim"
}

// DefaultKernel is the kernel a machine runs unless told otherwise.
const DefaultKernel = "v3.16"

var patches = []Patch{
	{ID: "68711a746345", Title: "mm, migration: add destination page freeing callback", Version: "v3.16-rc1"},
	{ID: "8bdd63809160", Title: "mm: fix direct reclaim writeback regression", Version: "v3.16-rc7"},
	{ID: "v4.5-newpage-untouched", Title: "mm: page migration avoid touching newpage until no going back (Hugh Dickins, 2015; commit id not recorded here)", Version: "v4.5"},
	{ID: "debug-put-new-page-check", Title: "debug: free_pages_check()-style check of pages given back through put_new_page (suggested in the thread; never merged)", Version: "-"},
}

// base is v3.16's own set of the modeled patches.
var base = []string{"68711a746345", "8bdd63809160"}

var kernels = []Kernel{
	{Name: "v3.15", Description: "v3.16 without the two migration patches: a failed newpage is freed (no put_new_page)",
		Reverted: []string{"68711a746345", "8bdd63809160"}},
	{Name: "v3.16-rc1", Description: "v3.16 without the fix: put_new_page gives a failed newpage back with PG_swapbacked still set",
		Reverted: []string{"8bdd63809160"}},
	{Name: "v3.16", Description: "Linux v3.16 as released (3 Aug 2014)"},
	{Name: "v4.5", Description: "v3.16 with the 2015 migration cleanup instead of the fix: newpage untouched until migrate_page_move_mapping succeeds",
		Applied: []string{"v4.5-newpage-untouched"}, Reverted: []string{"8bdd63809160"}},
}

// PatchSet is the set of modeled patches in force for a kernel, with
// extra edits ("+ID" applies, "-ID" reverts) on top.
func (k *Kernel) PatchSet(edits []string) ([]string, error) {
	set := map[string]bool{}
	for _, id := range base {
		set[id] = true
	}
	for _, id := range k.Reverted {
		delete(set, id)
	}
	for _, id := range k.Applied {
		set[id] = true
	}
	for _, e := range edits {
		if len(e) < 2 || (e[0] != '+' && e[0] != '-') {
			return nil, fmt.Errorf("patch edit %q: want +ID or -ID", e)
		}
		id := e[1:]
		if !knownPatch(id) {
			return nil, fmt.Errorf("unknown patch %q (see 'pagesim kernels')", id)
		}
		if e[0] == '+' {
			set[id] = true
		} else {
			delete(set, id)
		}
	}
	var out []string
	for _, p := range patches {
		if set[p.ID] {
			out = append(out, p.ID)
		}
	}
	return out, nil
}

func knownPatch(id string) bool {
	for _, p := range patches {
		if p.ID == id {
			return true
		}
	}
	return false
}

// Kernels lists the named kernels.
func Kernels() []Kernel { return append([]Kernel(nil), kernels...) }

// Patches lists the modeled patches, by ID.
func Patches() []Patch {
	out := append([]Patch(nil), patches...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// LookupKernel finds a named kernel.
func LookupKernel(name string) (*Kernel, error) {
	for i := range kernels {
		if kernels[i].Name == name {
			k := kernels[i]
			return &k, nil
		}
	}
	var names []string
	for _, k := range kernels {
		names = append(names, k.Name)
	}
	return nil, fmt.Errorf("unknown kernel %q (known: %s)", name, strings.Join(names, ", "))
}

// HistoryStep is one modeled upstream commit, in commit order, with the
// set of modeled patches in force once it is in.
type HistoryStep struct {
	Commit Patch    // the zero Patch for the starting point, v3.15
	Set    []string // patch IDs in force after the commit
}

// Edits are the patch edits that turn v3.16 into this step's set, for
// Config.Patches with Config.Kernel = "v3.16".
func (h HistoryStep) Edits() []string {
	in := map[string]bool{}
	for _, id := range h.Set {
		in[id] = true
	}
	var edits []string
	for _, id := range base {
		if !in[id] {
			edits = append(edits, "-"+id)
		}
	}
	for _, id := range h.Set {
		if !slices.Contains(base, id) {
			edits = append(edits, "+"+id)
		}
	}
	return edits
}

// History is the modeled history of the migration code the founding case
// touches, in upstream commit order: v3.15; 68711a746345 (v3.16-rc1) adds
// put_new_page; 8bdd63809160 (v3.16-rc7) clears PG_swapbacked before it;
// Hugh Dickins' 2015 cleanup (v4.5) leaves newpage untouched until the
// mapping moved, which made that line unnecessary, so it goes.
// Debug patches are not part of it.
func History() []HistoryStep {
	lookup := func(id string) Patch {
		for _, p := range patches {
			if p.ID == id {
				return p
			}
		}
		panic("history names an unknown patch " + id)
	}
	return []HistoryStep{
		{Set: nil},
		{Commit: lookup("68711a746345"), Set: []string{"68711a746345"}},
		{Commit: lookup("8bdd63809160"), Set: []string{"68711a746345", "8bdd63809160"}},
		{Commit: lookup("v4.5-newpage-untouched"), Set: []string{"68711a746345", "v4.5-newpage-untouched"}},
	}
}
