// SPDX-License-Identifier: GPL-2.0-only

package mm

import "fmt"

// The modeled kernel configuration (x86_64), in one place:
//
//	CONFIG_NUMA=y  CONFIG_NODES_SHIFT=6  CONFIG_NR_CPUS=64
//	CONFIG_ZONE_DMA=y  CONFIG_ZONE_DMA32=y  CONFIG_HIGHMEM=n
//	CONFIG_SPARSEMEM_VMEMMAP=y (128 MiB sections)
//	CONFIG_PAGEFLAGS_EXTENDED=y  CONFIG_ARCH_USES_PG_UNCACHED=y (X86_PAT)
//	CONFIG_COMPACTION=y  CONFIG_MIGRATION=y  CONFIG_CMA=n
//	CONFIG_MEMORY_ISOLATION=n  CONFIG_MEMORY_HOTPLUG=n  CONFIG_MEMORY_FAILURE=n
//	CONFIG_TRANSPARENT_HUGEPAGE=y  CONFIG_NUMA_BALANCING=y  CONFIG_SWAP=y
//	CONFIG_MEMCG=n  CONFIG_DEBUG_PAGEALLOC=n  CONFIG_FAIL_PAGE_ALLOC=n
//	CONFIG_DEBUG_VM=y (VM_BUG_ON_PAGE checks, as on the kernels trinity ran)
//	CONFIG_CPUSETS=y (every task in the root cpuset)  CONFIG_HUGETLB_PAGE=y
//	CONFIG_HZ=1000
//
// PAGE_SIZE is 4 KiB.
const (
	PAGE_SHIFT = 12
	PAGE_SIZE  = 1 << PAGE_SHIFT
)

// SECTION_SIZE_BITS: x86_64 sparsemem sections are 128 MiB.
const SECTION_SIZE_BITS = 27

const pagesPerSection = 1 << (SECTION_SIZE_BITS - PAGE_SHIFT)

// Config describes the machine to boot.
type Config struct {
	// MemBytes is the RAM size. The firmware map puts it where QEMU's pc
	// machine does (see e820.go).
	MemBytes uint64
	// Nodes is the number of NUMA nodes; RAM is split evenly between them
	// in physical address order, on section boundaries.
	Nodes int
	// CPUs is the number of CPUs, spread evenly over the nodes.
	CPUs int
	// MovableCoreBytes, like movablecore=, asks for a ZONE_MOVABLE of this
	// size. Zero means no ZONE_MOVABLE.
	MovableCoreBytes uint64
	// KernelImageBytes is what the kernel image (_text to __bss_stop)
	// reserves from 16 MiB up. Zero means the default, 12 MiB.
	KernelImageBytes uint64
	// MinFreeKbytes, when nonzero, is vm.min_free_kbytes as set by the user
	// (user_min_free_kbytes): it wins over the computed value if larger.
	MinFreeKbytes int
}

// DefaultKernelImageBytes is the kernel image size used when Config leaves it
// zero: about what a distribution's v3.16 x86_64 kernel occupies.
const DefaultKernelImageBytes = 12 << 20

// MinMemBytes is the smallest machine the model boots: enough for the
// kernel image above 16 MiB and some memory to run.
const MinMemBytes = 64 << 20

func (c *Config) validate() error {
	if c.MemBytes < MinMemBytes {
		return fmt.Errorf("memory %d bytes is below the minimum of %d MiB", c.MemBytes, MinMemBytes>>20)
	}
	if c.MemBytes > 1<<40 {
		return fmt.Errorf("memory %d bytes is above the model's limit of 1 TiB", c.MemBytes)
	}
	if c.Nodes < 1 || c.Nodes > 1<<NODES_SHIFT {
		return fmt.Errorf("nodes %d out of range 1..%d", c.Nodes, 1<<NODES_SHIFT)
	}
	if c.CPUs < 1 || c.CPUs > 64 {
		return fmt.Errorf("cpus %d out of range 1..64 (CONFIG_NR_CPUS=64)", c.CPUs)
	}
	if c.CPUs < c.Nodes {
		return fmt.Errorf("cpus %d fewer than nodes %d: every node needs a CPU", c.CPUs, c.Nodes)
	}
	// NUMA nodes are split on section boundaries (splitNodes); a single
	// node may end inside its last section, as a small machine's does.
	if c.Nodes > 1 && c.MemBytes/uint64(c.Nodes) < 1<<SECTION_SIZE_BITS {
		return fmt.Errorf("each node needs at least one 128 MiB section")
	}
	if c.MovableCoreBytes >= c.MemBytes {
		return fmt.Errorf("movablecore %d not below memory %d", c.MovableCoreBytes, c.MemBytes)
	}
	return nil
}
