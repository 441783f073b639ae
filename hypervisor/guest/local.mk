# hypervisor/guest: filled in by its owner
