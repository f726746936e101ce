// Reading order of the panels: the order the eye sees is the order of the
// document, so keyboard focus and screen readers follow it too.
//
// Two columns (wide windows): the controls' sidebar (Scenario, Run, Share,
// Advanced) beside the content (network, charts, explanation).
// One column (narrow windows, phones): the network and the charts follow
// the Run panel, before Share and Advanced, so a user who presses Play sees
// what it does without scrolling past every control. CSS alone could show
// that order (`order`, `display: contents`) but not make focus follow it,
// so the two panels that change column are moved in the document instead.

/** The width at which style.css turns the two columns into one. */
export const ONE_COLUMN = '(max-width: 980px)';

/** Moves Share and Advanced between the sidebar and the content. */
export function keepReadingOrder(doc = document) {
  const query = doc.defaultView.matchMedia(ONE_COLUMN);
  const place = () => {
    const sidebar = doc.querySelector('.sidebar');
    const content = doc.querySelector('.content');
    const explain = content.querySelector('.explain');
    const moving = [doc.querySelector('[aria-labelledby="share-title"]'), doc.getElementById('advanced')];
    const oneColumn = query.matches;
    doc.body.dataset.columns = oneColumn ? '1' : '2';
    const home = oneColumn ? content : sidebar;
    if (moving.every((el) => el.parentElement === home)) return;
    // Moving an element out of the document and back blurs what has focus
    // inside it; give focus back without scrolling.
    const focused = moving.find((el) => el.contains(doc.activeElement)) ? doc.activeElement : null;
    for (const el of moving) {
      if (oneColumn) content.insertBefore(el, explain);
      else sidebar.append(el);
    }
    if (focused && doc.activeElement !== focused) focused.focus({ preventScroll: true });
  };
  query.addEventListener('change', place);
  place();
}
