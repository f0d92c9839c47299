#!/usr/bin/env python3
"""The host provider at scale: a no-op apply and drift detection over N local files (and, with
--ssh, over SSH to a sshd on 127.0.0.1), with Ansible's copy module doing the same in the same
run when ansible-playbook is installed (pip install ansible-core).

    Benchmarks/scripts/host-observe.py --ballast .build/release/ballast --files 300 3000 30000
"""
import argparse, os, shutil, subprocess, sys, tempfile, time

def write_estate(directory, root, files, transport):
    os.makedirs(directory + "/manifests", exist_ok=True)
    docs = [f"""apiVersion: ballast.dev/v1
kind: Site
metadata: {{ name: box }}
spec:
  class: datacenter
  provider: host
  config: {{ root: "{root}", {transport} }}
"""]
    for index in range(files):
        docs.append(f"""apiVersion: ballast.dev/v1
kind: File
metadata: {{ name: f{index}, site: box }}
spec:
  path: "d{index // 30}/file-{index}.conf"
  content: "# generated\\nkey{index} = value {index}\\nlimit = {index % 97}\\n"
""")
    with open(directory + "/manifests/estate.yaml", "w") as f:
        f.write("---\n".join(docs))

def timed(command, **kwargs):
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    elapsed = time.monotonic() - start
    if result.returncode not in (0, 2):
        sys.exit(f"{' '.join(command[:3])}… failed ({result.returncode}): {result.stderr[-2000:]}")
    return elapsed

def ansible_playbook(directory, root, files):
    playbook = directory + "/playbook.yml"
    os.makedirs(directory + "/src", exist_ok=True)
    with open(playbook, "w") as f:
        f.write(f"""- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: directories
      ansible.builtin.file: {{ path: "{root}/d{{{{ item }}}}", state: directory, mode: "0755" }}
      loop: "{{{{ range(0, {(files + 29) // 30}) | list }}}}"
    - name: files
      ansible.builtin.copy:
        dest: "{root}/d{{{{ item // 30 }}}}/file-{{{{ item }}}}.conf"
        content: "# generated\\nkey{{{{ item }}}} = value {{{{ item }}}}\\nlimit = {{{{ item % 97 }}}}\\n"
        mode: "0644"
      loop: "{{{{ range(0, {files}) | list }}}}"
""")
    return playbook

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballast", default=".build/release/ballast")
    parser.add_argument("--files", type=int, nargs="+", default=[300, 3000])
    parser.add_argument("--ansible-limit", type=int, default=3000, help="largest size Ansible is run at (it is slow)")
    args = parser.parse_args()
    ballast = os.path.abspath(args.ballast)
    ansible = shutil.which("ansible-playbook")
    print("| files | ballast apply (create) | ballast no-op apply | ballast plan, one file drifted | ansible first run | ansible no-op run |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for files in args.files:
        directory = tempfile.mkdtemp(prefix="host-observe-")
        try:
            root = directory + "/root"
            write_estate(directory, root, files, "transport: local")
            state = ["--state", directory + "/state"]
            create = timed([ballast, "apply", directory + "/manifests", "--auto-approve"] + state)
            noop = timed([ballast, "apply", directory + "/manifests", "--auto-approve"] + state)
            with open(f"{root}/d0/file-0.conf", "a") as f:
                f.write("tampered\n")
            drift = timed([ballast, "plan", directory + "/manifests", "--detailed-exitcode"] + state)
            first = again = "—"
            if ansible and files <= args.ansible_limit:
                aroot = directory + "/aroot"
                playbook = ansible_playbook(directory, aroot, files)
                environment = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False")
                first = f"{timed(['ansible-playbook', '-i', 'localhost,', playbook], env=environment):.1f} s"
                again = f"{timed(['ansible-playbook', '-i', 'localhost,', playbook], env=environment):.1f} s"
            print(f"| {files:,} | {create:.2f} s | {noop:.2f} s | {drift:.2f} s | {first} | {again} |", flush=True)
        finally:
            shutil.rmtree(directory, ignore_errors=True)

main()
