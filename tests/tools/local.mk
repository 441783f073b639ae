# tests/tools: host programs that generate test inputs.
# mkelf writes the ELF loader corpus used by tests/integration/elf.bats.
check_PROGRAMS += tests/tools/mkelf
tests_tools_mkelf_SOURCES = tests/tools/mkelf.c

# tapfd hands an open tap to skiff-hv (--net:NAME=@FD).
check_PROGRAMS += tests/tools/tapfd
tests_tools_tapfd_SOURCES = tests/tools/tapfd.c
