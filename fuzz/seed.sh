#!/usr/bin/env bash
# Seeds the fuzz corpus (fuzz/corpus/parse/, git-ignored) from the BBB test
# media, without committing any media: the first 64 KiB of each file (init
# segment and the start of the first fragment), each init segment alone
# (the top-level boxes before the first moof) and each first moof alone.
#
# Usage: fuzz/seed.sh [media-dir]   (default: $DASHLIVE_TEST_MEDIA/bbb or ../shared/media/bbb)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
media="${1:-${DASHLIVE_TEST_MEDIA:-$here/../../shared/media}/bbb}"
out="$here/corpus/parse"
mkdir -p "$out"

if ! compgen -G "$media/*.mp4" >/dev/null; then
    echo "seed.sh: no .mp4 files in $media; corpus left as is" >&2
    exit 0
fi

# Big-endian u32 at byte offset $2 of file $1.
u32_at() {
    od -An -tu1 -j "$2" -N 4 "$1" | awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }'
}

for f in "$media"/*.mp4; do
    name="$(basename "$f" .mp4)"
    head -c 65536 "$f" >"$out/$name-head64k.mp4"

    # Walk the top-level boxes (32-bit sizes are enough for these files).
    len=$(stat -c %s "$f")
    pos=0
    while [ $((pos + 8)) -le "$len" ]; do
        size=$(u32_at "$f" "$pos")
        typ=$(dd if="$f" iflag=skip_bytes,count_bytes skip=$((pos + 4)) count=4 status=none)
        if [ "$size" -lt 8 ]; then
            break
        fi
        if [ "$typ" = moof ]; then
            head -c "$pos" "$f" >"$out/$name-init.mp4"
            dd if="$f" of="$out/$name-moof.mp4" iflag=skip_bytes,count_bytes \
                skip="$pos" count="$size" status=none
            break
        fi
        pos=$((pos + size))
    done
done
echo "seed.sh: $(find "$out" -type f | wc -l) files in $out"
