# CMake generated Testfile for 
# Source directory: /work/main/tests/engine
# Build directory: /work/main/build/default/tests/engine
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
