/* The web workstation (第十四条): the browser side of `lawcam ingest --server`.
 *
 * One ingest run per docking (POST /api/v1/ingest-runs), then for each file: both digests
 * (static/digests.js, in a worker), an upload opened with them (POST /api/v1/uploads, which
 * answers "duplicate" or where the server stands), the bytes in pieces from that offset
 * (PUT /api/v1/uploads/{id}?offset=N), and the completion, where the server hashes again and
 * refuses bytes that differ (POST /api/v1/uploads/{id}/complete). The session cookie and the
 * page's CSRF token authenticate every call; every refusal shown is the server's own message.
 *
 * Resuming: a page reloaded mid-way has lost its files (a browser may not reopen them by
 * itself), so the page remembers what was being sent and asks for the same folder again; the
 * digests are remembered too (keyed by name, size and modification time), so the server's
 * offset is asked for at once and the bytes continue from there. */
"use strict";

(() => {
  const form = document.getElementById("ingest-form");
  if (!form) return;
  const CSRF = form.dataset.csrf;
  const PIECE = Number(form.dataset.piece) || 8 * 1024 * 1024;
  const MEMORY = "lawcam-ingest:";
  const $ = (id) => document.getElementById(id);

  class Refused extends Error {
    constructor(message, status, detail) {
      super(message);
      this.status = status; // 0: the network, not the server
      this.detail = detail || {};
    }
  }

  const CUT = "网络中断，上传已暂停。重新选择同一文件夹并开始上传，即从服务器已收到的位置继续。";
  // Answers after which the remaining files are not tried (each would fail the same way).
  const STOPS = { 0: "网络中断", 401: "需要重新登录", 403: "页面已过期" };
  const RESUME = {
    网络中断: CUT,
    需要重新登录: "登录已失效，上传已暂停。请重新登录，再选择同一文件夹并开始上传，即从服务器已收到的位置继续。",
    页面已过期: "页面已过期，上传已暂停。请刷新页面，再选择同一文件夹并开始上传，即从服务器已收到的位置继续。",
  };

  function answer(status, text) {
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch (_) {
      body = null;
    }
    if (status >= 200 && status < 300) return body;
    const error = body && body.error;
    throw new Refused(error ? error.message : `服务器返回错误 ${status}，请稍后重试。`, status, error);
  }

  async function api(method, path, body) {
    let response;
    try {
      response = await fetch(path, {
        method,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": CSRF },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (_) {
      throw new Refused(CUT, 0);
    }
    return answer(response.status, await response.text());
  }

  /* One piece with upload progress (fetch reports none): XMLHttpRequest. */
  function putPiece(uploadId, offset, blob, onSent) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("PUT", `/api/v1/uploads/${encodeURIComponent(uploadId)}?offset=${offset}`);
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.setRequestHeader("X-CSRF-Token", CSRF);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (event) => onSent(event.loaded);
      xhr.onload = () => {
        try {
          resolve(answer(xhr.status, xhr.responseText));
        } catch (error) {
          reject(error);
        }
      };
      xhr.onerror = () => reject(new Refused(CUT, 0));
      xhr.onabort = xhr.onerror;
      xhr.send(blob);
    });
  }

  const path = (file) => file.webkitRelativePath || file.name;
  const digestKey = (file) => `${MEMORY}digest:${path(file)}|${file.size}|${file.lastModified}`;

  function remembered(key) {
    try {
      return JSON.parse(localStorage.getItem(key) || "null");
    } catch (_) {
      return null;
    }
  }

  function remember(key, value) {
    try {
      if (value === null) localStorage.removeItem(key);
      else localStorage.setItem(key, JSON.stringify(value));
    } catch (_) {
      /* private mode or full: resuming then only costs hashing again */
    }
  }

  /* One digest of the file in a worker of its own. */
  function digest(file, only, onRead) {
    return new Promise((resolve, reject) => {
      const worker = new Worker("/static/digests.js");
      worker.onmessage = (event) => {
        const message = event.data;
        if (message.type === "progress") return onRead(message.done);
        worker.terminate();
        if (message.type === "error") return reject(new Refused(message.message, -1));
        resolve(message[only]);
      };
      worker.onerror = () => {
        worker.terminate();
        reject(new Refused("无法计算文件摘要（浏览器不支持后台计算），请改用工作站导入。", -1));
      };
      worker.postMessage({ file, only });
    });
  }

  /* Both digests, each on a core of its own; remembered for a resumed upload. */
  async function digests(file, onRead) {
    const known = remembered(digestKey(file));
    if (known) return known;
    const read = { sha256: 0, sm3: 0 };
    const progress = (only) => (done) => {
      read[only] = done;
      onRead(Math.min(read.sha256, read.sm3));
    };
    const [sha256, sm3] = await Promise.all([
      digest(file, "sha256", progress("sha256")),
      digest(file, "sm3", progress("sm3")),
    ]);
    const found = { sha256, sm3 };
    remember(digestKey(file), found);
    return found;
  }

  // --- what the page shows -------------------------------------------------------------

  function size(bytes) {
    const units = ["字节", "KB", "MB", "GB", "TB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return unit ? `${value.toFixed(1)} ${units[unit]}` : `${bytes} 字节`;
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  class FileRow {
    constructor(file) {
      this.file = file;
      this.tr = document.createElement("tr");
      this.tr.dataset.file = path(file);
      cell(this.tr, path(file), "mono");
      cell(this.tr, size(file.size), "num nowrap");
      const progressCell = cell(this.tr, "");
      this.bar = document.createElement("progress");
      this.bar.max = 1;
      this.bar.value = 0;
      this.label = document.createElement("span");
      this.label.className = "hint";
      progressCell.append(this.bar, " ", this.label);
      this.result = cell(this.tr, "等待中");
      this.tr.dataset.state = "waiting";
      $("files").tBodies[0].appendChild(this.tr);
    }

    show(fraction, text) {
      this.bar.value = Math.max(0, Math.min(1, fraction));
      this.label.textContent = text;
    }

    finish(state, text, recordingId, problems) {
      this.tr.dataset.state = state;
      this.result.textContent = "";
      const tag = document.createElement("span");
      const flagged = state === "ingested" && (problems || []).length;
      tag.className = `tag ${flagged ? "warn" : { ingested: "ok", duplicate: "plain", refused: "bad", error: "bad" }[state] || ""}`;
      tag.textContent = text;
      this.result.appendChild(tag);
      if (recordingId) {
        const link = document.createElement("a");
        link.href = `/recordings/${recordingId}`;
        link.textContent = `#${recordingId}`;
        this.result.append(" ", link);
      }
      for (const problem of problems || []) {
        const note = document.createElement("div");
        note.className = "hint problem";
        note.title = problem.code;
        note.textContent = problem.message;
        this.result.appendChild(note);
      }
    }
  }

  class Total {
    constructor(files) {
      this.size = files.reduce((sum, f) => sum + f.size, 0);
      this.done = 0;
      this.moving = 0;
      this.count = files.length;
      this.finished = 0;
      this.draw();
    }

    add(bytes) {
      this.done += bytes;
      this.moving = 0;
      this.draw();
    }

    sending(bytes) {
      this.moving = bytes;
      this.draw();
    }

    draw() {
      const sent = this.done + this.moving;
      $("total").value = this.size ? sent / this.size : this.finished / Math.max(this.count, 1);
      $("total-text").textContent = `已完成 ${this.finished} / ${this.count} 个文件，已发送 ${size(sent)} / ${size(this.size)}`;
    }
  }

  function formError(message) {
    $("form-error").hidden = !message;
    $("form-error").textContent = message || "";
  }

  // --- one file ------------------------------------------------------------------------

  async function sendPieces(upload, file, row, total) {
    let offset = upload.offset;
    let corrections = 0;
    while (offset < file.size) {
      const end = Math.min(offset + PIECE, file.size);
      const from = offset;
      try {
        const ack = await putPiece(upload.id, from, file.slice(from, end), (sent) => {
          row.show((from + sent) / file.size, `已发送 ${size(from + sent)}`);
          total.sending(sent);
        });
        total.add(ack.offset - from);
        offset = ack.offset;
      } catch (error) {
        // The server holds another offset (a piece of an earlier attempt arrived after all).
        const held = error.detail && error.detail.offset;
        if (error.status !== 409 || typeof held !== "number" || corrections++ > 3) throw error;
        total.add(held - from);
        offset = held;
      }
    }
  }

  /* The digests of a row's file, started now (so the next file is hashed while this one is
   * sent: hashing, not the network, is the slow part in a browser). */
  function hashing(row) {
    row.show(0, "正在计算摘要…");
    const found = digests(row.file, (read) => row.show(read / Math.max(row.file.size, 1), `计算摘要 ${size(read)}`));
    found.catch(() => {}); // reported when the row's turn comes
    return found;
  }

  async function sendOne(runId, file, row, total, hashed) {
    const found = await hashed;
    const upload = await api("POST", "/api/v1/uploads", {
      run_id: runId,
      name: path(file),
      size: file.size,
      sha256: found.sha256,
      sm3: found.sm3,
      mtime: new Date(file.lastModified || Date.now()).toISOString(),
    });
    if (upload.status === "duplicate") {
      total.add(file.size);
      row.show(1, "");
      row.finish("duplicate", "已存储（重复文件，未再保存）", upload.recording_id);
      return;
    }
    total.add(upload.offset);
    row.show(upload.offset / Math.max(file.size, 1), upload.offset ? `从服务器已收到的 ${size(upload.offset)} 处继续` : "");
    if (upload.offset) row.tr.dataset.resumedAt = String(upload.offset);
    await sendPieces(upload, file, row, total);
    row.show(1, "服务器正在核对摘要并入库…");
    const result = await api("POST", `/api/v1/uploads/${encodeURIComponent(upload.id)}/complete`);
    const flagged = result.status === "ingested" && result.problems.length;
    const text = flagged
      ? "已导入（有问题标记，原样保存）"
      : { ingested: "已导入", duplicate: "已存储（重复文件，未再保存）", refused: "未导入" }[result.status] || result.status;
    row.show(1, "");
    row.finish(result.status, text, result.recording_id, result.problems);
  }

  // --- the docking ---------------------------------------------------------------------

  function chosenFiles() {
    const all = [...form.elements.folder.files, ...form.elements.files.files];
    return all.sort((a, b) => path(a).localeCompare(path(b)));
  }

  function deviceTime() {
    const value = form.elements.device_time.value;
    return value ? `${value.length === 16 ? `${value}:00` : value}+08:00` : null;
  }

  function source(files) {
    const first = files[0].webkitRelativePath;
    return first ? first.split("/")[0] : `${files.length} 个文件`;
  }

  async function start(event) {
    event.preventDefault();
    formError("");
    const files = chosenFiles();
    const device = form.elements.device.value.trim();
    if (!device) return formError("请填写设备序列号。");
    if (!files.length) return formError("请选择设备的文件夹或要上传的文件。");
    $("start").disabled = true;
    try {
      const run = await api("POST", "/api/v1/ingest-runs", {
        device,
        officer: form.elements.officer.value || null,
        workstation: `网页工作站（${form.dataset.account}）`,
        device_time: deviceTime(),
        source: source(files),
      });
      await sendAll(run.id, files, device);
    } catch (error) {
      formError(error.message);
    } finally {
      $("start").disabled = false;
    }
  }

  async function sendAll(runId, files, device) {
    remember(`${MEMORY}pending`, { device, officer: form.elements.officer.value, count: files.length });
    $("progress-card").hidden = false;
    $("files").tBodies[0].replaceChildren();
    const total = new Total(files);
    const rows = files.map((file) => new FileRow(file));
    let cut = null;
    let next = rows.length ? hashing(rows[0]) : null;
    for (const [index, row] of rows.entries()) {
      if (cut) {
        row.finish("waiting", `未开始（${cut}）`);
        continue;
      }
      const hashed = next;
      next = index + 1 < rows.length ? hashing(rows[index + 1]) : null;
      try {
        await sendOne(runId, row.file, row, total, hashed);
        remember(digestKey(row.file), null);
        total.finished += 1;
      } catch (error) {
        row.finish("error", error.message);
        cut = STOPS[error.status] || null; // the next files would fail the same way
      }
      total.draw();
    }
    form.dataset.done = cut ? "cut" : "done";
    if (!cut) remember(`${MEMORY}pending`, null);
    $("resume-hint").hidden = true;
    formError(cut ? RESUME[cut] : "");
  }

  function showHolder() {
    const serial = form.elements.device.value.trim();
    const option = [...document.querySelectorAll("#device-list option")].find((o) => o.value === serial);
    const holder = option ? option.dataset.holder : "";
    $("holder").textContent = option ? (holder ? `台账显示该设备现由 ${holder} 领用。` : "台账显示该设备未被领用（在库）。") : "";
  }

  function offerResume() {
    const pending = remembered(`${MEMORY}pending`);
    if (!pending) return;
    form.elements.device.value = pending.device;
    form.elements.officer.value = pending.officer || "";
    showHolder();
    $("resume-hint").hidden = false;
    $("resume-hint").textContent =
      `上次上传设备 ${pending.device} 的 ${pending.count} 个文件未全部完成。请重新选择同一文件夹并开始上传：已完成的文件显示为重复，未完成的从服务器已收到的位置继续。`;
  }

  function showChosen() {
    const files = chosenFiles();
    const bytes = files.reduce((sum, f) => sum + f.size, 0);
    $("chosen").textContent = files.length ? `已选择 ${files.length} 个文件，共 ${size(bytes)}。` : "尚未选择文件。";
  }

  form.addEventListener("submit", start);
  form.elements.folder.addEventListener("change", showChosen);
  form.elements.files.addEventListener("change", showChosen);
  form.elements.device.addEventListener("input", showHolder);
  offerResume();
})();
