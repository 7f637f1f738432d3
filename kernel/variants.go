// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"fmt"
	"sort"
	"strings"
)

// Kernel variants (DESIGN §8). A named kernel is v3.16 plus or minus a set
// of modeled patches and nothing else. The patches around the seed (the
// v3.16-rc1 regression and its fixes) are added with migration and
// compaction; until then the only kernel is v3.16 itself.

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
	if len(k.Applied) == 0 && len(k.Reverted) == 0 {
		return "Linux " + k.Name + " mm"
	}
	return fmt.Sprintf("Linux v3.16 mm +%s -%s", strings.Join(k.Applied, ",+"), strings.Join(k.Reverted, ",-"))
}

// DefaultKernel is the kernel a machine runs unless told otherwise.
const DefaultKernel = "v3.16"

var patches = []Patch{}

var kernels = []Kernel{
	{Name: "v3.16", Description: "Linux v3.16 as released (3 Aug 2014)"},
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
