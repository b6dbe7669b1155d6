// Store::data_version and Store::batch: kept apart from store.cpp because only the
// running gateway uses them.
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

Result<void> Store::batch(const std::function<void(Store&)>& writes) {
  db::Transaction tx(*m_db);
  if (!tx.begun()) return tx.begun().error();
  writes(*this);  // each write's own transaction nests into this one
  return tx.commit();
}

}  // namespace sipwake::worgw
