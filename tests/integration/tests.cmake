# Tests of integration
