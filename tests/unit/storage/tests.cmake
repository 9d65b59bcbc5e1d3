# Tests of unit/storage
