# tests/tools: host programs that generate test inputs.
# mkelf writes the ELF loader corpus used by tests/integration/elf.bats.
check_PROGRAMS += tests/tools/mkelf
tests_tools_mkelf_SOURCES = tests/tools/mkelf.c
