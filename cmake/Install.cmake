# What `cmake --install` puts where, and the Debian package CPack makes of it (README.md, Install).
include(GNUInstallDirs)

set(ipcbench_programs ipcbench)
if(TARGET ipcbench_minimal)
  list(APPEND ipcbench_programs ipcbench_minimal)
endif()
if(IPCBENCH_BUILD_GBENCH)
  list(APPEND ipcbench_programs ipcbench_gbench)
endif()
install(TARGETS ${ipcbench_programs} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The Python tools keep their names and their shared module beside them; bin gets a relative
# symlink per tool. Python puts a symlinked script's real directory first on sys.path, so
# `import ipcbench_csv` (and plot_load's `import plot`) works from any directory.
set(ipcbench_python_dir ${CMAKE_INSTALL_DATADIR}/ipcbench/python)
set(ipcbench_tools compare compare_tools plot plot_load plot_spectrum soak load_vs_sockperf before_after http_peers)
install(FILES scripts/ipcbench_csv.py DESTINATION ${ipcbench_python_dir})
file(RELATIVE_PATH ipcbench_bin_to_python /${CMAKE_INSTALL_BINDIR} /${ipcbench_python_dir})
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/bin-links)
foreach(tool IN LISTS ipcbench_tools)
  install(PROGRAMS scripts/${tool}.py DESTINATION ${ipcbench_python_dir})
  string(REPLACE _ - command ipcbench-${tool})
  # install(FILES) copies a symlink as a symlink, so the link also lands in CPack's staging tree.
  file(CREATE_LINK ${ipcbench_bin_to_python}/${tool}.py ${PROJECT_BINARY_DIR}/bin-links/${command} SYMBOLIC)
  install(FILES ${PROJECT_BINARY_DIR}/bin-links/${command} DESTINATION ${CMAKE_INSTALL_BINDIR})
endforeach()

install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB ipcbench_docs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${ipcbench_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
file(GLOB ipcbench_configs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/configs/*.toml)
install(FILES ${ipcbench_configs} DESTINATION ${CMAKE_INSTALL_DOCDIR}/configs)

# The man page is ipcbench's own --help, so it cannot drift from the CLI.
find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(ipcbench_man ${PROJECT_BINARY_DIR}/ipcbench.1)
  file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/ipcbench.h2m CONTENT
    "[SEE ALSO]\n`ipcbench COMMAND --help` for the options of each command; README.md and docs/ in ipcbench's documentation directory.\n")
  add_custom_command(OUTPUT ${ipcbench_man}.gz
    COMMAND ${HELP2MAN} --no-info --version-string=${PROJECT_VERSION}
            "--name=IPC round-trip latency and messages/sec benchmark"
            --include=${PROJECT_BINARY_DIR}/ipcbench.h2m --output=${ipcbench_man} $<TARGET_FILE:ipcbench>
    COMMAND gzip -9nf ${ipcbench_man}
    DEPENDS ipcbench ${PROJECT_BINARY_DIR}/ipcbench.h2m
    COMMENT "Generating the ipcbench(1) man page with help2man" VERBATIM)
  add_custom_target(ipcbench_man ALL DEPENDS ${ipcbench_man}.gz)
  install(FILES ${ipcbench_man}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(WARNING "help2man not found: no ipcbench(1) man page (scripts/setup.sh installs it)")
endif()

include(Package)
