// Zoom, pan and fit-to-view for a drawn graph. The box clips; the SVG inside is moved and
// scaled with a CSS transform. Buttons zoom around the middle, Ctrl + wheel around the pointer,
// the wheel pans a picture larger than the box, dragging pans (a drag is not a click on a
// state). The view is kept when the picture is redrawn (polling), and the box's height is set
// from the picture (at most 75% of the window).

const MIN = 0.1;
const MAX = 4;
const STEP = 1.25;

export function zoomable(box, controls) {
  let scale = 1;
  let x = 0;
  let y = 0;
  let placed = false;
  const svg = () => box.querySelector('svg');
  const size = () => {
    const s = svg();
    return s ? { w: Number(s.getAttribute('width')) || 1, h: Number(s.getAttribute('height')) || 1 } : { w: 1, h: 1 };
  };
  // Keeps the picture in view: centred along an axis where it is smaller than the box.
  const clamp = () => {
    const { w, h } = size();
    const bw = box.clientWidth;
    const bh = box.clientHeight;
    x = w * scale <= bw ? (bw - w * scale) / 2 : Math.min(0, Math.max(bw - w * scale, x));
    y = h * scale <= bh ? (bh - h * scale) / 2 : Math.min(0, Math.max(bh - h * scale, y));
  };
  const apply = () => {
    const s = svg();
    if (!s) return;
    clamp();
    s.style.transform = `translate(${x}px, ${y}px) scale(${scale})`;
    box.dataset.scale = scale.toFixed(3);
  };
  const zoomAt = (factor, px, py) => {
    const next = Math.min(MAX, Math.max(MIN, scale * factor));
    x = px - ((px - x) * next) / scale;
    y = py - ((py - y) * next) / scale;
    scale = next;
    apply();
  };
  const view = {
    zoomIn: () => zoomAt(STEP, box.clientWidth / 2, box.clientHeight / 2),
    zoomOut: () => zoomAt(1 / STEP, box.clientWidth / 2, box.clientHeight / 2),
    // The whole picture in the box.
    fit: () => {
      const { w, h } = size();
      scale = Math.min(MAX, Math.max(MIN, Math.min(box.clientWidth / w, box.clientHeight / h)));
      apply();
    },
    // Actual size, from the top.
    actual: () => { scale = 1; y = 0; apply(); },
    // After the SVG was replaced: the first picture is shown at its width (never enlarged)
    // from the top; later ones keep the view.
    drawn: () => {
      const { w, h } = size();
      if (!placed && box.clientWidth > 0) {
        placed = true;
        scale = Math.min(1, box.clientWidth / w);
        box.style.height = `${Math.max(160, Math.min(h * scale + 2, window.innerHeight * 0.75))}px`;
        y = 0;
      }
      apply();
    },
  };

  box.classList.add('zoomable');
  box.addEventListener('wheel', (event) => {
    const rect = box.getBoundingClientRect();
    if (event.ctrlKey || event.metaKey) {
      event.preventDefault();
      zoomAt(event.deltaY < 0 ? STEP : 1 / STEP, event.clientX - rect.left, event.clientY - rect.top);
      return;
    }
    const { w, h } = size();
    const pansX = w * scale > box.clientWidth && event.deltaX;
    const pansY = h * scale > box.clientHeight && event.deltaY;
    if (!pansX && !pansY) return;
    event.preventDefault();
    x -= event.deltaX;
    y -= event.deltaY;
    apply();
  }, { passive: false });

  let drag = null;
  let quietUntil = 0;
  box.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    drag = { sx: event.clientX, sy: event.clientY, x, y, moved: false };
  });
  box.addEventListener('pointermove', (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.sx;
    const dy = event.clientY - drag.sy;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    if (!drag.moved) box.setPointerCapture(event.pointerId);
    drag.moved = true;
    box.classList.add('dragging');
    x = drag.x + dx;
    y = drag.y + dy;
    apply();
  });
  const release = () => {
    if (drag && drag.moved) quietUntil = performance.now() + 100;
    box.classList.remove('dragging');
    drag = null;
  };
  box.addEventListener('pointerup', release);
  box.addEventListener('pointercancel', release);
  // The click that ends a drag selects nothing.
  box.addEventListener('click', (event) => {
    if (performance.now() < quietUntil) event.stopPropagation();
  }, { capture: true });

  if (controls) {
    controls.innerHTML = `<button type="button" class="secondary" data-zoom="out" aria-label="Zoom out" title="Zoom out">−</button>
      <button type="button" class="secondary" data-zoom="in" aria-label="Zoom in" title="Zoom in">+</button>
      <button type="button" class="secondary" data-zoom="fit" title="Fit the whole graph in view">Fit</button>
      <button type="button" class="secondary" data-zoom="actual" title="Actual size">1:1</button>`;
    const actions = { out: view.zoomOut, in: view.zoomIn, fit: view.fit, actual: view.actual };
    controls.addEventListener('click', (event) => {
      const button = event.target.closest('[data-zoom]');
      if (button) actions[button.dataset.zoom]();
    });
  }
  return view;
}
