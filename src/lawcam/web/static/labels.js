/* 资产标签: one box in the header ticks or clears every device listed (a unit's whole set). */
"use strict";

(() => {
  const all = document.getElementById("label-all");
  if (!all) return;
  const boxes = () => [...document.querySelectorAll('input[name="device_id"]')];
  all.hidden = false;
  all.addEventListener("change", () => boxes().forEach((box) => { box.checked = all.checked; }));
  document.addEventListener("change", (event) => {
    if (event.target.name === "device_id") all.checked = boxes().every((box) => box.checked);
  });
})();
