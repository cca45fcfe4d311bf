#!/bin/sh
# compile-gen.sh DIR NFILES: writes a small C project into DIR for the
# guest's "compile" workload (a build loop with tcc): NFILES translation
# units of generated functions (loops, arithmetic, arrays, structs, string
# handling, a switch), a header, and main.c that calls them all and prints a
# checksum. The code is generated here, deterministically; nothing is taken
# from another project.
set -e
dir=$1; n=${2:-24}
mkdir -p "$dir"
awk -v n="$n" -v dir="$dir" 'BEGIN {
    hdr = dir "/proj.h"
    print "#ifndef PROJ_H\n#define PROJ_H\n#include <stddef.h>\n#include <stdint.h>" > hdr
    print "struct rec { uint32_t id; int32_t v[8]; char name[24]; };" > hdr
    for (f = 0; f < n; f++) {
        src = sprintf("%s/u%02d.c", dir, f)
        print "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include \"proj.h\"" > src
        for (k = 0; k < 12; k++) {
            fn = sprintf("u%02d_f%02d", f, k)
            a = (f * 31 + k * 7) % 13 + 3; b = (f * 17 + k * 5) % 11 + 2
            print "uint64_t " fn "(uint64_t x);" > hdr
            print "uint64_t " fn "(uint64_t x) {" > src
            print "    struct rec r[16]; uint64_t acc = x ^ " (f * 1000 + k) "u; int i, j;" > src
            print "    memset(r, 0, sizeof r);" > src
            print "    for (i = 0; i < 16; i++) {" > src
            print "        r[i].id = (uint32_t)(acc * " a "u + i);" > src
            print "        for (j = 0; j < 8; j++) r[i].v[j] = (int32_t)((acc >> (j * 3)) % " (97 + k) "u) - " b ";" > src
            print "        snprintf(r[i].name, sizeof r[i].name, \"u%02d-%d-%u\", " f ", i, (unsigned)r[i].id);" > src
            print "        acc = acc * 6364136223846793005ull + 1442695040888963407ull;" > src
            print "    }" > src
            print "    for (i = 0; i < 16; i++) {" > src
            print "        switch (r[i].v[0] & 7) {" > src
            for (c = 0; c < 8; c++)
                print "        case " c ": acc += (uint64_t)r[i].v[" c "] * " (c + a) "u + strlen(r[i].name); break;" > src
            print "        }" > src
            print "        for (j = 1; j < 8; j++) if (r[i].v[j] > r[i].v[j - 1]) acc ^= (uint64_t)r[i].v[j] << j;" > src
            print "    }" > src
            print "    return acc;\n}" > src
        }
        close(src)
    }
    print "#endif" > hdr
    close(hdr)
    m = dir "/main.c"
    print "#include <stdio.h>\n#include <stdlib.h>\n#include \"proj.h\"" > m
    print "int main(int argc, char **argv) {\n    uint64_t s = argc > 1 ? strtoull(argv[1], 0, 10) : 1; int r;" > m
    print "    for (r = 0; r < 200; r++) {" > m
    for (f = 0; f < n; f++) for (k = 0; k < 12; k++) print "        s = " sprintf("u%02d_f%02d", f, k) "(s);" > m
    print "    }\n    printf(\"%llu\\n\", (unsigned long long)s);\n    return 0;\n}" > m
    close(m)
}'
