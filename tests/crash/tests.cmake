# Tests of crash
