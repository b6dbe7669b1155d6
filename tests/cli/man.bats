#!/usr/bin/env bats
# Every manual page (man/*.1, man/*.7) is lint-clean mdoc.

REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"

# Sets PAGES to man/*.1 and man/*.7; skips the test when there are none.
find_pages() {
    shopt -s nullglob
    PAGES=("$REPO"/man/*.1 "$REPO"/man/*.7)
    shopt -u nullglob
    [[ ${#PAGES[@]} -gt 0 ]] || skip "no manual pages in $REPO/man"
}

@test "mandoc -Tlint -W warning finds nothing in man/*.1 and man/*.7" {
    command -v mandoc >/dev/null || skip "mandoc not installed"
    local page
    find_pages
    for page in "${PAGES[@]}"; do
        run timeout 10 mandoc -Tlint -W warning "$page"
        if [[ $status -ne 0 || -n $output ]]; then
            echo "$output" >&2
            return 1
        fi
    done
}

@test "every manual page has the NAME, SYNOPSIS or DESCRIPTION, and SEE ALSO sections" {
    local page
    find_pages
    for page in "${PAGES[@]}"; do
        grep -q '^\.Sh NAME$' "$page" || { echo "$page: no NAME" >&2; return 1; }
        grep -q '^\.Sh DESCRIPTION$' "$page" || { echo "$page: no DESCRIPTION" >&2; return 1; }
        grep -q '^\.Sh SEE ALSO$' "$page" || { echo "$page: no SEE ALSO" >&2; return 1; }
    done
}
