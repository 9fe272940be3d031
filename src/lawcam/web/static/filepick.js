/* A file chooser in Chinese: the browser's own button speaks the browser's language, so the
 * input is hidden inside a labelled button and the chosen file's name is shown beside it. */
"use strict";

document.querySelectorAll("label.pick input[type=file]").forEach((input) => {
  const shown = document.getElementById(input.dataset.shows);
  input.addEventListener("change", () => {
    const names = [...input.files].map((file) => file.name);
    if (shown) shown.textContent = names.length ? `已选择：${names.join("、")}` : "尚未选择文件。";
  });
});
