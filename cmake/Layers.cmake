# Layers the build enforces. The source root is on no include path: each
# library exposes its own folder (vtrace_expose), and a file can include a
# header only if its target links the library that exposes that header's
# folder. So an include that reaches up the stack (trackers including the
# detector, say) fails to compile: "No such file or directory".
#
# Each exposed folder is a symbolic link under
# <build>/layers/<target>/<folder> to the source folder, and that layer
# directory is the target's PUBLIC (INTERFACE for header-only libraries)
# include directory, so it reaches exactly the targets that link it,
# transitively through PUBLIC links.
function(vtrace_expose target folder)
  set(root ${PROJECT_BINARY_DIR}/layers/${target})
  get_filename_component(parent ${root}/${folder} DIRECTORY)
  file(MAKE_DIRECTORY ${parent})
  if(NOT EXISTS ${root}/${folder})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${folder} ${root}/${folder} SYMBOLIC)
  endif()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    target_include_directories(${target} INTERFACE ${root})
  elseif(type STREQUAL "EXECUTABLE")
    target_include_directories(${target} PRIVATE ${root})
  else()
    target_include_directories(${target} PUBLIC ${root})
  endif()
endfunction()

# vtrace_library(NAME FOLDER SOURCES... [DEPS targets...]): a static library
# made of FOLDER's sources, exposing FOLDER, linking DEPS publicly.
function(vtrace_library name folder)
  cmake_parse_arguments(L "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${L_SOURCES})
  vtrace_expose(${name} ${folder})
  if(L_DEPS)
    target_link_libraries(${name} PUBLIC ${L_DEPS})
  endif()
  if(L_PRIVATE_DEPS)
    target_link_libraries(${name} PRIVATE ${L_PRIVATE_DEPS})
  endif()
endfunction()
