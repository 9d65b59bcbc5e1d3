# Tests of unit/agent
