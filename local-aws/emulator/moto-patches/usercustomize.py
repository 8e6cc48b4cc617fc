"""Speed fixes to moto_server, loaded after sitecustomize.py (Python imports
usercustomize from the same PYTHONPATH when user site-packages are enabled,
as they are for this machine's Python; where they are not, moto is only slower).

They change how long moto takes, never what it answers; each says which moto
version needs it and is skipped when already applied.
"""

import threading

try:
    from moto.dynamodb.models.table import Table
except ImportError:  # moto missing: moto.ts reports that with the install command
    Table = None

# moto 5.2: a Query of a table's own key (no index) lists every item of the
# table, sorts them all by key, and only then keeps those of the one partition
# key asked for: each Query costs O(n log n) in the table's size, so a burst
# writing an audit table of tens of thousands of items slows without bound.
# DynamoDB reads one partition (Developer Guide, "Query operations"). The
# partition's items are moto's own dict entry for that key; the rest of the
# Query (conditions, sort, pages, filters) is moto's, unchanged.
if Table is not None and not getattr(Table, "_cordon_partition_query", False):
    _partition = threading.local()
    _all_items = Table.all_items
    _query = Table.query

    def _all_items_of_partition(self):
        hash_key = getattr(_partition, "key", None)
        if getattr(_partition, "table", None) is not self or hash_key is None:
            return _all_items(self)
        found = self.items.get(hash_key)
        if found is None:
            return []
        # With a range key moto keeps a dict (range key → item) per partition; without one, the item itself.
        return list(found.values()) if self.range_key_attr else [found]

    def _partition_query(self, hash_key, *args, **kwargs):
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name or hash_key is None:
            return _query(self, hash_key, *args, **kwargs)
        saved = (getattr(_partition, "table", None), getattr(_partition, "key", None))
        _partition.table, _partition.key = self, hash_key
        try:
            return _query(self, hash_key, *args, **kwargs)
        finally:
            _partition.table, _partition.key = saved

    Table.all_items = _all_items_of_partition
    Table.query = _partition_query
    Table._cordon_partition_query = True
