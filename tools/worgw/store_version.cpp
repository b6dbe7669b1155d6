// Store::data_version: kept apart from store.cpp because only the gateway uses it.
#include "store.hpp"

namespace sipwake::worgw {

Result<std::int64_t> Store::data_version() {
  // PRAGMA data_version changes only for commits by other connections, so the
  // gateway's own binding writes do not trigger a reload.
  auto st = m_db->prepare("PRAGMA data_version");
  if (!st) return st.error();
  if (!st->step()) return fail("cannot read data_version");
  return st->column_int(0);
}

}  // namespace sipwake::worgw
