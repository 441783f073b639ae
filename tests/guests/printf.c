/*
 * printf: the runtime's formatting engine and number parser against
 * known answers. Prints every mismatch, then SUCCESS if there was none.
 */
#include "skiff/guest.h"
#include "opaque.h"

SKIFF_MANIFEST_NONE();

static int failures;

static void expect(const char *got, int n, const char *want)
{
    if (strcmp(got, want) != 0 || n != (int)strlen(want)) {
        skiff_printf("FAILURE: got '%s' (%d), want '%s'\n", got, n, want);
        failures++;
    }
}

#define CHECK(want, ...)                                                    \
    do {                                                                    \
        char buf_[128];                                                     \
        int n_ = skiff_snprintf(buf_, sizeof(buf_), __VA_ARGS__);           \
        expect(buf_, n_, want);                                             \
    } while (0)

static void parse(const char *s, int ok, uint64_t want, char rest)
{
    uint64_t v = 0;
    const char *end = skiff_parse_u64(s, &v);

    if (ok != (end != 0) || (end && (v != want || *end != rest))) {
        skiff_printf("FAILURE: skiff_parse_u64(\"%s\")\n", s);
        failures++;
    }
}

int skiff_main(const char *cmdline)
{
    (void)cmdline;
    CHECK("0 -1 42", "%d %d %i", 0, -1, 42);
    CHECK("-2147483648 4294967295", "%d %u", (int)0x80000000, 0xffffffffu);
    CHECK("deadbeef DEADBEEF 777", "%x %X %o", 0xdeadbeefu, 0xdeadbeefu, 0777u);
    CHECK("ffffffffffffffff", "%lx", ~0UL);
    CHECK("18446744073709551615", "%llu", ~0ULL);
    CHECK("-9223372036854775808", "%ld", (long)(1UL << 63));
    CHECK("   42|42   |-0042|00ff", "%5d|%-5d|%05d|%04x", 42, 42, -42, 0xff);
    CHECK("0000000000001000", "%016lx", 0x1000UL);
    CHECK("0x1000 0x0", "%p %p", (void *)0x1000, (void *)opaque(0));
    CHECK("x  y|", "%c%3c|", 'x', 'y');
    CHECK("(null)", "%s", (const char *)opaque(0));
    CHECK("abc|    ab|ab    |", "%.3s|%6s|%-6s|", "abcdef", "ab", "ab");
    CHECK("  7|7  |", "%*d|%-*d|", 3, 7, 3, 7);
    CHECK("100% 44 65535 12", "%d%% %hhu %hu %zu", 100, 300, 0x1ffff,
          (size_t)12);

    char small[5];
    int n = skiff_snprintf(small, sizeof(small), "hello %s", "world");

    expect(small, n == 11 ? 4 : -1, "hell");

    parse("0", 1, 0, '\0');
    parse("12345 rest", 1, 12345, ' ');
    parse("0x1F", 1, 31, '\0');
    parse("18446744073709551615", 1, ~0ULL, '\0');
    parse("18446744073709551616", 0, 0, '\0');
    parse("x1", 0, 0, '\0');
    parse("", 0, 0, '\0');

    if (failures)
        return 1;
    skiff_printf("SUCCESS\n");
    return 0;
}
