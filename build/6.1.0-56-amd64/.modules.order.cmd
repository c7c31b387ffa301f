cmd_/work/main/build/6.1.0-56-amd64/modules.order := {   echo /work/main/build/6.1.0-56-amd64/splitstack.ko; :; } > /work/main/build/6.1.0-56-amd64/modules.order
